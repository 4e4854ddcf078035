import Foundation
import Protoo
import ProtooApps
import ProtooScenarios
@testable import ProtooSimulator
import ProtooTestSupport
import Testing

/// `simulate --servers K`: the app on K servers behind a simulated roomId-hashing balancer, server
/// crashes, and the `room-split` invariant.
@Suite struct ServersTests {
    private func configuration(servers: Int = 3, seed: UInt64 = 4) -> SimulationConfiguration {
        var c = SimulationConfiguration()
        c.rooms = 6
        c.peersPerRoom = 4
        c.duration = .seconds(90)
        c.arrivalWindow = .seconds(10)
        c.drainTime = .seconds(40)
        c.servers = servers
        c.seed = seed
        return c
    }

    /// Peers per server, by room.
    private func placement(_ simulation: Simulation) -> [[Int]] {
        simulation.apps.map { app in ((app as? ConferenceApp)?.openRooms ?? []).map(\.peerCount).sorted() }
    }

    @Test func roomsAreSpreadWholeOverTheServers() throws {
        let simulation = Simulation(configuration())
        try simulation.advance(to: Instant.zero + .seconds(30))
        let rooms = placement(simulation)
        #expect(rooms.flatMap { $0 } == Array(repeating: 4, count: 6), "every room whole on one server: \(rooms)")
        #expect(rooms.filter { !$0.isEmpty }.count >= 2, "the rooms are spread: \(rooms)")
        let report = try simulation.run()
        #expect(report.servers == 3)
        #expect(report.text.contains("on 3 servers behind a balancer"))
    }

    @Test func aCrashedServersRoomsAreReHomedWholeAndNothingElseMoves() throws {
        let probe = Simulation(configuration())
        try probe.advance(to: Instant.zero + .seconds(20))
        let busiest = try #require(probe.apps.indices.max { (probe.apps[$0] as? ConferenceApp)?.openRooms.count ?? 0 < (probe.apps[$1] as? ConferenceApp)?.openRooms.count ?? 0 })
        var c = configuration()
        c.faultSchedule = [PlannedFault(at: .seconds(25), .serverCrash, client: nil, server: busiest)]
        let simulation = Simulation(c)
        try simulation.advance(to: Instant.zero + .seconds(20))
        let before = placement(simulation)
        try simulation.advance(to: Instant.zero + .seconds(45))
        let after = placement(simulation)
        #expect(after[busiest].isEmpty, "the crashed server holds nobody: \(after)")
        #expect(after.flatMap { $0 }.sorted() == Array(repeating: 4, count: 6), "every room whole again: \(after)")
        for server in simulation.apps.indices where server != busiest {
            #expect(before[server].count <= after[server].count, "survivors keep their rooms: \(before) → \(after)")
        }
        #expect(simulation.clients.filter { $0.reconnects > 0 }.count == before[busiest].reduce(0, +))
        _ = try simulation.run()
    }

    @Test func randomCrashesAreDeterministicAndNeverSplitARoom() throws {
        var c = configuration(seed: 9)
        c.faults = .light
        c.faults.serverCrashRate = 1
        let first = try Simulation(c).run()
        let again = try Simulation(c).run()
        #expect(first.digest == again.digest)
        #expect(first.reconnects > 0)
        var one = c
        one.servers = 1
        #expect(try Simulation(one).run().digest != first.digest)
        #expect(FaultPlan.schedule(for: c).contains { $0.kind == .serverCrash })
    }

    @Test func oneServerRunsAsBefore() throws {
        let report = try Simulation(configuration(servers: 1)).run()
        #expect(report.servers == 1 && !report.text.contains("balancer"))
    }

    @Test func theCommandLineRunsServersWithCrashes() throws {
        let run = try ProtooTool.run(["simulate", "--rooms", "6", "--peers-per-room", "3", "--duration", "60s", "--arrival-window", "10s",
                                      "--servers", "3", "--fault-server-crash", "1", "--json"])
        #expect(run.status == 0, "\(run.error)")
        let json = try JSONParser.parse(run.outputText)
        #expect(json["servers"]?.intValue == 3)
        #expect(json["faults"]?.stringValue?.contains("serverCrash=1.0/min") == true)
        let bad = try ProtooTool.run(["simulate", "--servers", "2", "--shards", "2"])
        #expect(bad.status == 2)
    }
}
