/// Why a ``ProtooClient`` call failed before reaching the server. Errors from the server side are
/// `ProtooError` (`.rejected(code:reason:)`, `.requestTimeout`, `.peerClosed`).
public enum ProtooClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The URL is not `ws://host[:port][/path][?query]` or `wss://…`.
    case invalidURL(String)
    /// Not connected right now (connecting or reconnecting): wait for the `open` event and retry.
    case notConnected
    /// The client is closed for good: create a new one.
    case closed

    public var description: String {
        switch self {
        case .invalidURL(let url): return "invalid protoo URL \(url): expected ws://host[:port]/path?query or wss://…"
        case .notConnected: return "not connected: wait for the open event"
        case .closed: return "client closed: create a new ProtooClient"
        }
    }
}
