extension Peer {
    /// An async request handler: return a ``Reply``; throw a ``ProtooError`` to answer with its
    /// code and reason, any other error to answer 500 with its text.
    public typealias AsyncRequestHandler = (IncomingRequest) async throws -> Reply

    /// Handles requests with async code, each in an engine task (several may be in flight at
    /// once, as in protoo): it runs on the engine's executor, so it may touch the app, the room
    /// and peers, await ``EngineContext/sleep(for:)``, ``request(_:_:)`` and the app's actors.
    /// Under the simulator and replay it is deterministic. The peer stays alive while a handler
    /// runs (the request holds it), so `[unowned peer]` in the handler is safe.
    ///
    /// ```swift
    /// peer.onRequest { request async throws -> Reply in
    ///     let transport = try await media.createTransport()
    ///     return .accept(["id": .string(transport.id)])
    /// }
    /// ```
    public func onRequest(_ handler: @escaping AsyncRequestHandler) {
        let executor = context.executor
        onRequest { request in
            executor.spawnHandler(for: request, handler)
            return .deferred
        }
    }

    /// Sends a request and waits for its response's data; throws ``ProtooError`` (rejected, timed
    /// out, peer closed). Call from engine code (a handler, a client script, ``EngineContext/spawn(_:_:)``).
    public func request(_ method: String, _ data: JSONValue = .emptyObject) async throws -> JSONValue {
        try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<JSONValue, any Error>) in
            request(method, data) { result in continuation.resume(with: result.mapError { $0 }) }
        }
    }
}
