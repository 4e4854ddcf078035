@testable import Protoo

/// A room with server peers and client-side peers over in-memory transports on a virtual clock.
final class EngineHarness {
    let context: EngineContext
    let scheduler: VirtualScheduler
    let room: Room
    /// Keeps client-side peers alive (transports hold their delegates weakly).
    private(set) var clients: [Peer] = []

    init(seed: UInt64 = 1) {
        (context, scheduler) = EngineContext.virtual(seed: seed)
        room = Room(context: context)
    }

    /// Connects a client; returns (server peer, client peer, client transport).
    func connect(_ id: String) throws -> (server: Peer, client: Peer, clientTransport: MemoryTransport) {
        let (serverEnd, clientEnd) = MemoryTransport.pair(scheduler: scheduler)
        let server = try room.createPeer(id: id, transport: serverEnd)
        let client = Peer(id: "client-\(id)", transport: clientEnd, context: context, configuration: .client)
        clients.append(client)
        return (server, client, clientEnd)
    }

    /// Runs everything due now, without moving the clock.
    func settle() { scheduler.run(until: scheduler.now) }
}

/// Collects request outcomes.
final class Outcomes {
    var results: [Result<JSONValue, ProtooError>] = []
    var handler: (Result<JSONValue, ProtooError>) -> Void { { self.results.append($0) } }
}

struct TestError: Error, CustomStringConvertible {
    var description: String { "Error: BOOM!!!" }
}
