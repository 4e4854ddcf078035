extension ProtooClient {
    /// What happens to the connection, as protoo-client's Peer emits it.
    public enum Event: Sendable, Hashable {
        /// The WebSocket is open: requests can be sent.
        case open
        /// Attempt `attempt` (1-based) failed before opening; a retry follows unless it was the last.
        case failed(attempt: Int)
        /// An open connection was lost (any close but 4000): reconnection starts over.
        case disconnected
        /// Final: closed by the server (4000), by ``ProtooClient/close()``, or retries exhausted.
        case close
    }
}
