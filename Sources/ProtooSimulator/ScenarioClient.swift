import Protoo

/// A simulated client as its scenario's script sees it: one connection's life (a reconnect
/// starts the script again with a new `ScenarioClient`). Use it only inside the script and the
/// scenario's ``SimulationScenario/onServerRequest`` and ``SimulationScenario/onServerNotification``
/// handlers, which get the same object for the same connection.
///
/// ```swift
/// let joined = try await client.request("join", ["displayName": .string(client.peerId)])
/// try await client.sleep(for: .milliseconds(500 + Int64(client.random.next() % 2_500)))
/// client.notify("chat", ["text": "hello"])
/// ```
///
/// State the script shares with the handlers goes in `peer.data` (this connection); state that
/// must survive reconnects, in `simulated.memory`. To wait for a server notification (say
/// `newPeer`), call ``notification(_:within:where:)``.
public final class ScenarioClient {
    /// The client behind it, for its whole life (its state, reconnect count, `memory`, …).
    public let simulated: SimulatedClient
    /// This connection's client-side peer (`peer.data` is per-connection storage).
    public let peer: Peer
    /// This connection's random stream, drawn from the client's own (``SimulatedClient/random``):
    /// the same on every run, and unaffected by other clients.
    public var random: SeededRandom
    /// The server's notifications no ``notification(_:within:where:)`` took yet.
    let inbox = NotificationInbox()

    init(simulated: SimulatedClient, peer: Peer, random: SeededRandom) {
        self.simulated = simulated
        self.peer = peer
        self.random = random
    }

    /// The client's peer id: 8 letters and digits drawn from the seed, the same across reconnects.
    public var peerId: String { simulated.peerId }
    /// The client's group, `room-N`: the room it connects to unless the scenario's
    /// ``SimulationScenario/target`` maps it to another.
    public var roomId: String { simulated.roomId }
    /// How many times this client's connection opened before this one (0 on the first open).
    public var reconnects: Int { simulated.opens - 1 }
    /// The clients' clock: virtual time in a simulation, the event loop's under `protoo load`
    /// (`client.now + .seconds(20)` is a deadline).
    public var now: Instant { simulated.scheduler.now }

    /// Sends a request and waits for its response's data (counted in the run's client
    /// requests, latency and errors). Throws ``ProtooError``: rejected, timed out (22.5 s +
    /// 0.15 s per pending), or the connection closed; `CancellationError` past the client's step
    /// limit (``SimulationConfiguration/stepLimits``).
    ///
    /// - Parameters:
    ///   - method: The request's method.
    ///   - data: The request's data (default `{}`).
    public func request(_ method: String, _ data: JSONValue = .emptyObject) async throws -> JSONValue {
        guard simulated.peer === peer, !peer.isClosed else { throw ProtooError.peerClosed }
        // Past its step limit (a minimised run), the script ends here, quietly.
        if let limit = simulated.stepLimit, simulated.messagesSent >= limit { throw CancellationError() }
        return try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<JSONValue, any Error>) in
            simulated.request(method, data) { result in continuation.resume(with: result.mapError { $0 }) }
        }
    }

    /// Sends a notification (nothing once the connection closed).
    public func notify(_ method: String, _ data: JSONValue = .emptyObject) {
        simulated.notify(on: peer, method, data)
    }

    /// Sleeps on the clients' clock (virtual in a simulation). Throws `CancellationError` once the connection
    /// closed (the script is cancelled).
    public func sleep(for duration: Duration) async throws {
        try await simulated.context.sleep(for: duration)
    }

    /// Leaves for good: closes the connection (1000) and never reconnects; the script is cancelled.
    public func leave() { simulated.leave() }
}
