import NIOCore

/// What the upgrade negotiation decided for one TCP connection. Lives on the server's event loop.
final class UpgradeOutcome {
    /// The app's decision is still being taken (inside `handleConnection`): later answers are late.
    var deciding = false
    /// Set when the upgrade is refused: the HTTP status and reason to answer with.
    var status: Int?
    var reason = ""
    /// Set when the app accepted: the engine transport, attached to the channel once upgraded.
    var connection: WebSocketConnection?
    /// Closes the TCP connection if the upgrade is not done by ``ProtooServer/Configuration/handshakeTimeout``.
    var deadline: Scheduled<Void>?
    /// The handshake ended (upgraded or closed): no longer counted as pending.
    var handshakeEnded = false
}
