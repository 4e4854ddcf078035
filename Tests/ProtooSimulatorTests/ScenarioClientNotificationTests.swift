import Protoo
import ProtooSimulator
import Synchronization
import Testing

/// An app that tells a room's other peers when someone joins (`newPeer { id }`).
private final class GreetingApp: ProtooApp {
    let context: EngineContext
    var rooms: [String: Room] = [:]
    init(context: EngineContext) { self.context = context }

    func handleConnection(_ request: ConnectionRequest) {
        guard let roomId = request.queryValue("roomId"), let peerId = request.queryValue("peerId") else {
            return request.reject(status: 400, reason: "roomId and peerId required")
        }
        let room = rooms[roomId] ?? Room(context: context)
        rooms[roomId] = room
        guard let peer = try? room.createPeer(id: peerId, transport: request.accept()) else { return }
        peer.onRequest { [unowned peer] request async throws -> Reply in
            let others = room.peers.filter { $0 !== peer }
            for other in others { other.notify("newPeer", ["id": .string(peer.id), "n": .int(Int64(others.count))]) }
            return .accept(["others": .int(Int64(others.count))])
        }
    }
}

/// `ScenarioClient.notification(_:within:where:)`: waiting for what the server sends.
@Suite struct ScenarioClientNotificationTests {
    private func configuration() -> SimulationConfiguration {
        var c = SimulationConfiguration()
        c.rooms = 1
        c.peersPerRoom = 3
        c.duration = .seconds(60)
        c.arrivalWindow = .seconds(10)
        c.drainTime = .seconds(5)
        return c
    }

    @Test func everyClientHearsEveryLaterArrival() throws {
        let heard = Mutex<[String: [String]]>([:])
        let scenario = SimulationScenario(name: "greet", app: { GreetingApp(context: $0) }) { client in
            let joined = try await client.request("join")
            // Of the 3 peers, those who joined later each announce themselves.
            let later = 2 - Int(joined["others"]?.intValue ?? 0)
            var ids: [String] = []
            for _ in 0..<later {
                let data = try await client.notification("newPeer", within: .seconds(30))
                ids.append(data["id"]?.stringValue ?? "?")
            }
            heard.withLock { $0[client.peerId] = ids }
        }
        _ = try Simulation(configuration(), scenario: scenario).run()
        let result = heard.withLock { $0 }
        #expect(result.count == 3)
        #expect(result.values.map(\.count).sorted() == [0, 1, 2])
        for (listener, ids) in result { #expect(!ids.contains(listener) && Set(ids).count == ids.count) }
    }

    @Test func aNotificationThatCameBeforeTheWaitIsNotMissed() throws {
        let got = Mutex<[String]>([])
        let scenario = SimulationScenario(name: "late-waiter", app: { GreetingApp(context: $0) }) { client in
            _ = try await client.request("join")
            // Sleep past every arrival: the newPeer notifications came while nobody waited.
            try await client.sleep(for: .seconds(20))
            // The last to join heard nobody: its wait times out.
            if let data = try? await client.notification("newPeer", within: .milliseconds(1)) {
                got.withLock { $0.append(data["id"]?.stringValue ?? "?") }
            }
        }
        _ = try Simulation(configuration(), scenario: scenario).run()
        // The last to join heard nobody; the two others each got one notification from the inbox.
        #expect(got.withLock { $0.count } == 2)
    }

    @Test func matchesPicksTheNotificationItWaitsForAndLeavesTheRest() throws {
        let got = Mutex<[Int]>([])
        let scenario = SimulationScenario(name: "pick", app: { GreetingApp(context: $0) }) { client in
            let joined = try await client.request("join")
            guard joined["others"]?.intValue == 0 else { return }
            try await client.sleep(for: .seconds(20))
            // The first to join holds two newPeer notifications (n 1, then n 2): take n 2 first.
            let second = try await client.notification("newPeer", within: .milliseconds(1), where: { $0["n"]?.intValue == 2 })
            let first = try await client.notification("newPeer", within: .milliseconds(1))
            got.withLock { $0 = [second["n"]?.intValue ?? -1, first["n"]?.intValue ?? -1] }
        }
        _ = try Simulation(configuration(), scenario: scenario).run()
        #expect(got.withLock { $0 } == [2, 1])
    }

    @Test func noNotificationStopsTheRunWithTheMethodAndTheSeed() throws {
        let scenario = SimulationScenario(name: "waits-forever", app: { GreetingApp(context: $0) }) { client in
            _ = try await client.request("join")
            _ = try await client.notification("neverSent", within: .seconds(5))
        }
        #expect {
            _ = try Simulation(configuration(), scenario: scenario).run()
        } throws: { error in
            let text = "\(error)"
            return text.contains("no 'neverSent' notification within 5") && text.contains("seed")
        }
    }

    @Test func theWaitEndsQuietlyWhenTheConnectionCloses() throws {
        var c = configuration()
        c.duration = .seconds(15)  // everyone leaves while waiting: the script is cancelled, not failed
        let scenario = SimulationScenario(name: "leaves-while-waiting", app: { GreetingApp(context: $0) }) { client in
            _ = try await client.request("join")
            _ = try await client.notification("neverSent", within: .seconds(300))
        }
        let report = try Simulation(c, scenario: scenario).run()
        #expect(report.clientRequests == 3)
    }
}
