import NIOCore
import NIOHTTP1

/// What the upgrade negotiation decided for one TCP connection. Lives on the server's event loop.
final class UpgradeOutcome {
    /// The app may still decide: inside `handleConnection`, or later once it deferred, until the
    /// upgrade is answered or the connection is gone. A decision outside this window is late.
    var awaitingDecision = false
    /// A deferred decision's answer to NIO's `shouldUpgrade`: the 101's headers, or `nil` to refuse.
    var pendingAnswer: EventLoopPromise<HTTPHeaders?>?
    /// Set when the upgrade is refused: the HTTP status and reason to answer with.
    var status: Int?
    var reason = ""
    /// Set when the app accepted: the engine transport, attached to the channel once upgraded.
    var connection: WebSocketConnection?
    /// Closes the TCP connection if the upgrade is not done by ``ProtooServer/Configuration/handshakeTimeout``.
    var deadline: Scheduled<Void>?
    /// The handshake ended (upgraded or closed): no longer counted as pending.
    var handshakeEnded = false

    /// Ends the decision window and answers a deferred `shouldUpgrade` with `headers`.
    func answer(_ headers: HTTPHeaders?) {
        awaitingDecision = false
        guard let promise = pendingAnswer else { return }
        pendingAnswer = nil
        promise.succeed(headers)
    }
}
