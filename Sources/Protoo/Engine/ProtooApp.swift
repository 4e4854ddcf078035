/// A server application: decides on connections and drives rooms and peers.
///
/// The same app runs in production (WebSocket server), in the simulator and under replay; it gets
/// time and randomness only from the ``EngineContext`` it was built with.
public protocol ProtooApp: AnyObject {
    /// Decide on a connection attempt: `request.accept()` then usually `room.createPeer(…)`, or
    /// `request.reject(status:reason:)`. Leaving it undecided is answered 500 by the server.
    func handleConnection(_ request: ConnectionRequest)

    /// The server is shutting down: close peers (code 4000) and stop timers. Default: nothing.
    func shutdown()
}

extension ProtooApp {
    public func shutdown() {}
}

/// Builds an app on a context. The server and the simulator call it on the engine's scheduler.
public typealias ProtooAppFactory = @Sendable (EngineContext) -> any ProtooApp
