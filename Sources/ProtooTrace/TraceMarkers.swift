/// Names of the markers the tools write into recordings, and what each means to a reader.
public enum TraceMarkers {
    /// `protoo proxy` injected a fault on this connection (text: which).
    public static let fault = "fault"
    /// `protoo proxy` refused this connection itself (text: status and reason): the upstream
    /// server never answered it (unreachable, timed out, no `protoo` subprotocol, shutting down).
    /// Replays never expect such a refusal from a live server.
    public static let proxyRefusal = "proxy"
    /// `protoo proxy` saw the close of this upstream connection complete (close handshake and TCP
    /// close over), after a close by the client or a drop recorded earlier. What the recording
    /// has between the two happened while the close was in progress; live replay sends those
    /// events without waiting for the close, and the later ones only once it completed.
    public static let closeCompleted = "closeCompleted"
}
