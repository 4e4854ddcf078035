import Foundation
import Protoo
import ProtooScenarios
import ProtooSimulator

/// A scenario written only on the public API, as a user writes one: an app whose request
/// handlers are async (they await an actor and a simulated store on the engine's clock) and
/// clients that are async scripts. 1,000 peers, as the conference figures.
enum ScenarioBenchmarks {
    static func run(_ r: BenchmarkRunner) throws {
        let runs = r.quick ? 1 : 3
        var c = SimulationConfiguration()
        c.rooms = 100
        c.peersPerRoom = 10
        c.duration = r.quick ? .seconds(60) : .seconds(300)
        c.seed = 1
        let shape = "1,000 peers (100 rooms × 10), \(Int(c.duration.nanoseconds / 1_000_000_000)) s + drain, async handlers and scripts"

        let reports = try (0..<runs).map { _ in try Simulation(c, scenario: board).run() }
        let best = reports.max { $0.speedUp < $1.speedUp }!
        r.record("scenario", "board (public API) 1,000 peers: virtual/real time", best.speedUp, "×",
                 note: "\(shape); \(Int(best.virtualSeconds)) s virtual in \(BenchmarkRunner.format(best.wallSeconds)) s; \(SimulatorBenchmarks.range(reports.map(\.speedUp), runs))")
        r.record("scenario", "board (public API) 1,000 peers: protoo messages", Double(best.messages) / best.wallSeconds, "msg/s",
                 note: "\(best.messages) messages, \(best.clientRequests) client requests (\(best.clientRequestErrors) errors)")

        // The same run on 4 server shards (a room-local app), on every core.
        var sharded = c
        sharded.shards = 4
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let shardedReports = try (0..<runs).map { _ in try ShardedSimulation(sharded, scenario: board, jobs: cores).run() }
        let shardedBest = shardedReports.max { $0.speedUp < $1.speedUp }!
        r.record("scenario", "board (public API) 1,000 peers on 4 shards, \(cores) threads: virtual/real time", shardedBest.speedUp, "×",
                 ratio: shardedBest.speedUp / best.speedUp,
                 note: "against one server; \(SimulatorBenchmarks.range(shardedReports.map(\.speedUp), runs))")
    }

    /// Posts of one room, kept by an actor (the app's state behind an `await`).
    actor Wall {
        private(set) var posts: [String: Int] = [:]
        func add(_ roomId: String) -> Int {
            posts[roomId, default: 0] += 1
            return posts[roomId]!
        }
    }

    /// A message board: `join` answers the room's other peers after a store lookup; `post`
    /// awaits the wall and a write, then tells the room.
    final class BoardApp: ProtooApp {
        let context: EngineContext
        let wall = Wall()
        var rooms: [String: Room] = [:]
        var random: SeededRandom
        init(context: EngineContext) {
            self.context = context
            random = SeededRandom(seed: context.random.next())
        }

        func handleConnection(_ request: ConnectionRequest) {
            guard let roomId = request.queryValue("roomId"), let peerId = request.queryValue("peerId") else {
                return request.reject(status: 400, reason: "roomId and peerId required")
            }
            let room = rooms[roomId] ?? Room(context: context)
            rooms[roomId] = room
            guard let peer = try? room.createPeer(id: peerId, transport: request.accept()) else { return }
            peer.onRequest { [self, unowned peer] request async throws -> Reply in
                switch request.method {
                case "join":
                    try await context.sleep(for: latency())                 // a store lookup
                    return .accept(["peers": .array(room.peers.filter { $0 !== peer }.map { .string($0.id) })])
                case "post":
                    let n = await wall.add(roomId)
                    try await context.sleep(for: latency())                 // a write
                    for other in room.peers where other !== peer {
                        other.notify("posted", ["from": .string(peer.id), "n": .int(Int64(n)), "text": request.data["text"] ?? .null])
                    }
                    return .accept(["n": .int(Int64(n))])
                default:
                    throw ProtooError.reject(404, "unknown method")
                }
            }
        }

        /// 1–5 ms, drawn from the seed.
        private func latency() -> Duration { .microseconds(1_000 + Int64(random.next() % 4_000)) }
    }

    static let board: SimulationScenario = {
        var scenario = SimulationScenario(name: "board", app: { BoardApp(context: $0) }) { client in
            _ = try await client.request("join")
            while true {
                try await client.sleep(for: .milliseconds(1_000 + Int64(client.random.next() % 4_000)))
                _ = try await client.request("post", ["text": .string("hello from \(client.peerId)")])
            }
        }
        scenario.onServerNotification = { _, _, _ in }
        return scenario
    }()
}
