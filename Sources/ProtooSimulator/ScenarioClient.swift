import Protoo

/// A simulated client as its scenario's script sees it: one connection's life (a reconnect
/// starts the script again with a new `ScenarioClient`). Use it only inside the script.
public final class ScenarioClient {
    /// The client behind it (its peer id, state, reconnect count, …).
    public let simulated: SimulatedClient
    /// This connection's peer.
    public let peer: Peer
    /// The client's own random stream, drawn from the run's seed: the same on every run.
    public var random: SeededRandom

    init(simulated: SimulatedClient, peer: Peer, random: SeededRandom) {
        self.simulated = simulated
        self.peer = peer
        self.random = random
    }

    public var peerId: String { simulated.peerId }
    /// The room the client connects to.
    public var roomId: String { simulated.roomId }
    /// How many times this client's connection opened before this one (0 on the first open).
    public var reconnects: Int { simulated.opens - 1 }
    /// The simulation's virtual time.
    public var now: Instant { simulated.scheduler.now }

    /// Sends a request and waits for its response's data (counted in the run's client
    /// requests, latency and errors). Throws ``ProtooError``: rejected, timed out (22.5 s +
    /// 0.15 s per pending), or the connection closed.
    public func request(_ method: String, _ data: JSONValue = .emptyObject) async throws -> JSONValue {
        guard simulated.peer === peer, !peer.isClosed else { throw ProtooError.peerClosed }
        return try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<JSONValue, any Error>) in
            simulated.request(method, data) { result in continuation.resume(with: result.mapError { $0 }) }
        }
    }

    /// Sends a notification (nothing once the connection closed).
    public func notify(_ method: String, _ data: JSONValue = .emptyObject) {
        guard simulated.peer === peer else { return }
        peer.notify(method, data)
    }

    /// Sleeps on the simulation's virtual clock.
    public func sleep(for duration: Duration) async throws {
        try await simulated.context.sleep(for: duration)
    }

    /// Leaves for good: closes the connection (1000) and never reconnects; the script is cancelled.
    public func leave() { simulated.leave() }
}
