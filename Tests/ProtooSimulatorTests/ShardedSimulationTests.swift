import Foundation
import ProtooTestSupport
import Testing
import Protoo
import ProtooApps
@testable import ProtooSimulator
@testable import ProtooScenarios

/// Rooms spread over server shards: each shard is the run it would be alone, and neither the
/// number of threads nor the window changes a thing.
@Suite struct ShardedSimulationTests {
    /// 7 rooms of 3 peers, faults drawn from the seed.
    static func small(seed: UInt64, shards: Int) -> SimulationConfiguration {
        var c = DeterminismTests.small(seed: seed)
        c.rooms = 7
        c.shards = shards
        return c
    }

    @Test func oneShardIsThePlainRun() throws {
        let c = Self.small(seed: 4, shards: 1)
        let plain = try Simulation(c).run()
        let sharded = try ShardedSimulation(c, jobs: 2, window: .seconds(1)).run()
        #expect(sharded.digest == plain.digest)
        #expect(sharded.messages == plain.messages)
        #expect(sharded.schedulerEvents == plain.schedulerEvents)
        #expect(sharded.shards == 1)
    }

    @Test func roomsAreSplitIntoContiguousBlocksWithSeedsOfTheirOwn() {
        let c = Self.small(seed: 4, shards: 3)
        let parts = (0..<3).map { ShardedSimulation.configuration(ofShard: $0, of: c) }
        #expect(parts.map(\.rooms) == [3, 2, 2])
        #expect(parts.map(\.firstRoom) == [0, 3, 5])
        #expect(parts.allSatisfy { $0.shards == 1 && $0.peersPerRoom == c.peersPerRoom && $0.duration == c.duration })
        #expect(parts[0].seed == c.seed)
        #expect(Set(parts.map(\.seed)).count == 3)
    }

    @Test func eachShardRunsExactlyAsItWouldAlone() throws {
        let c = Self.small(seed: 11, shards: 3)
        let sharded = ShardedSimulation(c, jobs: 2, window: .seconds(2))
        let report = try sharded.run()
        var messages = 0, events = 0
        for k in 0..<3 {
            let alone = try Simulation(ShardedSimulation.configuration(ofShard: k, of: c)).run()
            #expect(sharded.shards[k].tally.digest == alone.digest, "shard \(k)")
            messages += alone.messages
            events += alone.schedulerEvents
        }
        #expect(report.messages == messages)
        #expect(report.schedulerEvents == events)
        #expect(report.peers == 21)
        #expect(report.shards == 3)
        // Shard 0 keeps the run's seed: it is the plain run of its rooms.
        var first = c
        first.shards = 1
        first.rooms = 3
        #expect(sharded.shards[0].tally.digest == (try Simulation(first).run().digest))
        // The clients were named after their global rooms.
        #expect(sharded.shards[2].clients.allSatisfy { $0.target.contains("roomId=room-5") || $0.target.contains("roomId=room-6") })
    }

    /// Shards move together, a window at a time: mid-run every shard stands at the same instant
    /// with its peers connected, so every peer of the run is alive at once.
    @Test func shardsAdvanceTogetherWithEveryPeerAlive() throws {
        var c = Self.small(seed: 6, shards: 3)
        c.faults = .none
        c.duration = .seconds(60)
        let sharded = ShardedSimulation(c, jobs: 2, window: .seconds(4))
        try sharded.advance(to: Instant.zero + .seconds(10))
        #expect(sharded.reached == Instant.zero + .seconds(10))
        for shard in sharded.shards {
            #expect(shard.scheduler.now == Instant.zero + .seconds(10))
            #expect(shard.clients.allSatisfy { $0.state == .open })
        }
        #expect(sharded.shards.reduce(0) { $0 + $1.clients.count } == 21)
        let report = try sharded.run()
        #expect(report.virtualSeconds == Double((c.duration + c.drainTime).nanoseconds) / 1e9)
    }

    /// Threads and windows change nothing, for 20 seeds with faults.
    @Test func threadsAndWindowsDoNotChangeTheResult() throws {
        var digests = Set<String>()
        for seed in UInt64(1)...20 {
            let c = Self.small(seed: seed, shards: 3)
            let reference = try ShardedSimulation(c, jobs: 1, window: .seconds(1000)).run()
            for (jobs, window) in [(1, Duration.milliseconds(700)), (2, .seconds(7)), (3, .seconds(1))] {
                let other = try ShardedSimulation(c, jobs: jobs, window: window).run()
                #expect(other.digest == reference.digest, "seed \(seed), jobs \(jobs), window \(window)")
                #expect(other.messages == reference.messages)
                #expect(other.latencyP99Ms == reference.latencyP99Ms)
            }
            digests.insert(reference.digest)
            #expect(reference.digest != (try Simulation(Self.small(seed: seed, shards: 1)).run().digest))
        }
        #expect(digests.count == 20)
    }

    /// A swarm of sharded seeds gives what each sharded seed gives alone, on any number of jobs.
    @Test func swarmOfShardedSeedsMatchesRunsAlone() {
        let seeds: ClosedRange<UInt64> = 30...37
        let configure: @Sendable (UInt64) -> (SimulationConfiguration, reproduce: String?) = { (Self.small(seed: $0, shards: 3), nil) }
        let alone = seeds.map { try? ShardedSimulation(Self.small(seed: $0, shards: 3)).run().digest }
        #expect(Swarm.run(seeds: seeds, jobs: 1, configure: configure).map(\.digest) == alone)
        #expect(Swarm.run(seeds: seeds, jobs: 3, configure: configure).map(\.digest) == alone)
        #expect(alone.allSatisfy { $0 != nil })
    }

    /// An echo app whose `shutdown` (a scripted fault) makes it claim a closed room is open.
    final class LeakOnShutdownApp: ProtooApp, SimulationInspectable {
        let inner: EchoApp
        let closedRoom: Room
        var leaking = false
        init(context: EngineContext) {
            inner = EchoApp(context: context)
            closedRoom = Room(context: context)
            closedRoom.close()
        }
        func handleConnection(_ request: ConnectionRequest) { inner.handleConnection(request) }
        func shutdown() { leaking = true }
        var openRooms: [Room] { leaking ? inner.openRooms + [closedRoom] : inner.openRooms }
    }

    /// The failure first in virtual time wins (not the first shard), whatever the threads and
    /// windows; it names its shard and keeps the run's seed.
    @Test func firstFailureInVirtualTimeIsReportedWhateverTheWindow() throws {
        var c = Self.small(seed: 8, shards: 3)
        c.scenario = .echo
        c.faults = .none
        // Clients 0–8 are in shard 0 (rooms 0–2), 9–14 in shard 1, 15–20 in shard 2.
        c.script = [ScriptedFault(at: .milliseconds(4_500), client: 10, .shutdownApp),
                    ScriptedFault(at: .milliseconds(2_500), client: 16, .shutdownApp)]
        for (jobs, window) in [(1, Duration.seconds(1)), (2, .seconds(10)), (3, .milliseconds(300))] {
            do {
                _ = try ShardedSimulation(c, jobs: jobs, window: window, app: { LeakOnShutdownApp(context: $0) }).run()
                Issue.record("the run should have failed (jobs \(jobs), window \(window))")
            } catch let failure as SimulationFailure {
                #expect(failure.invariant.hasPrefix("shard 2 of 3 (room-5…room-6)"), "\(failure.invariant)")
                #expect(failure.invariant.contains("closed room"))
                #expect(failure.time == Instant.zero + .seconds(3))
                #expect(failure.seed == 8)
                #expect(failure.reproduce.contains("--shards 3"))
                #expect(failure.lastEvents.contains { $0.contains("fault: shutdownApp at 2.5s") })
            }
        }
    }

    /// `protoo simulate --shards`: the library's digest, whatever `--jobs` and the window, and
    /// clear refusals of what a shard cannot be.
    @Test func theCommandRunsShardsWithTheSameDigestOnAnyNumberOfThreads() throws {
        let arguments = ["simulate", "--rooms", "6", "--peers-per-room", "3", "--duration", "20s", "--arrival-window", "5s",
                         "--shards", "3", "--json"]
        let one = try HugePagesTests.runProtoo(arguments + ["--jobs", "1"], environment: ["PROTOO_HUGE_PAGES": "0"])
        let two = try HugePagesTests.runProtoo(arguments + ["--jobs", "2", "--shard-window", "2s"], environment: [:])
        var c = SimulationConfiguration()
        c.rooms = 6
        c.peersPerRoom = 3
        c.duration = .seconds(20)
        c.arrivalWindow = .seconds(5)
        c.shards = 3
        let library = try ShardedSimulation(c).run()
        #expect(one["digest"] as? String == library.digest)
        #expect(two["digest"] as? String == library.digest)
        #expect(two["shards"] as? Int == 3)
        #expect(two["messages"] as? Int == library.messages)
        // Parallel shards keep glibc's per-thread arenas (one arena would be contended).
        #expect(two["hugePages"] as? Bool == false)

        for (extra, message) in [(["--shards", "7"], "--shards must be between 1 and --rooms"),
                                 (["--shards", "2", "--record", "/tmp/never.ptrace.zst"], "--record records one server")] {
            let result = try ProtooTool.run(["simulate", "--rooms", "6"] + extra)
            #expect(result.status != 0)
            #expect(result.error.contains(message))
        }
    }
}

/// Peak memory is this program's own, even when a big process started it.
@Suite struct PeakMemoryTests {
    @Test func highWaterMarkIsReadFromProcStatus() {
        let status = "Name:\tprotoo\nVmPeak:\t  901234 kB\nVmHWM:\t    2192 kB\nVmRSS:\t    2000 kB\n"
        #expect(Simulation.highWaterMarkMB(status: status) == 2192.0 / 1024)
        #expect(Simulation.highWaterMarkMB(status: "Name:\tprotoo\n") == nil)
        #if os(Linux)
        #expect(Simulation.peakMemoryMB() >= Simulation.residentMemoryMB() - 1)
        #endif
    }
}
