import Foundation
import Protoo
import ProtooScenarios
import ProtooTestSupport
@testable import ProtooSimulator
import Testing

/// Rooms of different sizes (`SimulationConfiguration.roomSizes`, `--room-sizes`).
@Suite struct RoomSizesTests {
    private func configuration(_ sizes: [Int], shards: Int = 1) -> SimulationConfiguration {
        var c = SimulationConfiguration()
        c.scenario = .echo
        c.roomSizes = sizes
        c.shards = shards
        c.duration = .seconds(40)
        c.drainTime = .seconds(10)
        return c
    }

    @Test func eachGroupHasItsOwnSize() throws {
        let c = configuration([9, 6, 3])
        #expect(c.rooms == 3)
        #expect(c.totalPeers == 18)
        let simulation = Simulation(c)
        _ = try simulation.run()
        let byRoom = Dictionary(grouping: simulation.clients, by: \.roomId).mapValues(\.count)
        #expect(byRoom == ["room-0": 9, "room-1": 6, "room-2": 3])
    }

    @Test func withoutSizesEveryGroupHasPeersPerRoom() {
        var c = SimulationConfiguration()
        c.rooms = 4
        c.peersPerRoom = 5
        #expect(c.roomSizes == [5, 5, 5, 5])
        #expect(c.totalPeers == 20)
        // Sizes given for another number of rooms no longer apply once `rooms` changes.
        c.roomSizes = [1, 2]
        c.rooms = 3
        #expect(c.roomSizes == [5, 5, 5])
    }

    @Test func shardsSliceTheSizesAndRenumberScriptedFaults() {
        var c = configuration([9, 6, 3, 2], shards: 2)
        c.script = [ScriptedFault(at: .seconds(5), client: 16, .drop)]  // room-2's second client
        let first = ShardedSimulation.configuration(ofShard: 0, of: c)
        let second = ShardedSimulation.configuration(ofShard: 1, of: c)
        #expect(first.roomSizes == [9, 6] && first.firstRoom == 0 && first.totalPeers == 15)
        #expect(second.roomSizes == [3, 2] && second.firstRoom == 2 && second.totalPeers == 5)
        #expect(first.script.isEmpty)
        #expect(second.script.map(\.client) == [1])
    }

    @Test func theReproduceLineNamesTheSizes() {
        let c = configuration([9, 6, 3])
        #expect(c.commandLine.contains("--room-sizes 9,6,3"))
        #expect(!c.commandLine.contains("--peers-per-room"))
    }

    @Test func theCommandRunsRoomsOfDifferentSizes() throws {
        let result = try ProtooTool.run(["simulate", "--scenario", "echo", "--room-sizes", "4,2", "--duration", "60s"])
        #expect(result.status == 0)
        #expect(result.outputText.contains("6 in 2 rooms"))
        let bad = try ProtooTool.run(["simulate", "--room-sizes", "4,x"])
        #expect(bad.status == 2)
    }
}
