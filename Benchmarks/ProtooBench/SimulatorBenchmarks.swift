import Foundation
import Protoo
import ProtooApps
import ProtooScenarios
import ProtooSimulator

/// The simulator on the conference scenario: speed-up over real time and memory per peer.
enum SimulatorBenchmarks {
    static func run(_ r: BenchmarkRunner) throws {
        // Each figure is the best of a few runs (the runs are identical, seed included): other
        // tenants of a shared machine only ever slow a run down. The note gives the range.
        let runs = r.quick ? 1 : 3

        // 1,000 peers (100 rooms × 10).
        var c = SimulationConfiguration()
        c.rooms = 100
        c.peersPerRoom = 10
        c.duration = r.quick ? .seconds(60) : .seconds(300)
        c.seed = 1
        let reports = try (0..<runs).map { _ in try Simulation(c).run() }
        let report = reports.max { $0.speedUp < $1.speedUp }!
        r.record("simulator", "conference 1,000 peers: virtual/real time", report.speedUp, "×",
                 note: "\(Int(report.virtualSeconds)) s virtual in \(BenchmarkRunner.format(report.wallSeconds)) s; \(range(reports.map(\.speedUp), runs))")
        r.record("simulator", "conference 1,000 peers: engine events", Double(report.schedulerEvents) / report.wallSeconds, "events/s")
        r.record("simulator", "conference 1,000 peers: protoo messages", Double(report.messages) / report.wallSeconds, "msg/s")

        // The scenario at its default length (`protoo simulate`'s `--duration 10m`): the same
        // join phase, twice the steady state.
        var d = c
        d.duration = r.quick ? .seconds(120) : .seconds(600)
        let defaults = try (0..<runs).map { _ in try Simulation(d).run() }
        let best = defaults.max { $0.speedUp < $1.speedUp }!
        r.record("simulator", "conference 1,000 peers, default duration: virtual/real time", best.speedUp, "×",
                 note: "\(Int(best.virtualSeconds)) s virtual in \(BenchmarkRunner.format(best.wallSeconds)) s; \(range(defaults.map(\.speedUp), runs))")

        // The same run split at 60 s: the join phase (arrivals within 30 s, consumer fan-out with
        // 1–2 kB payloads) against the steady state of small notifications that follows it.
        let phases = try (0..<runs).map { _ in try phaseSpeedUps(seconds: r.quick ? 120 : 300) }
        r.record("simulator", "conference 1,000 peers, join phase (0–60 s): virtual/real time", phases.map(\.join).max()!, "×",
                 note: range(phases.map(\.join), runs))
        r.record("simulator", "conference 1,000 peers, steady state (60 s–leave): virtual/real time", phases.map(\.steady).max()!, "×",
                 note: range(phases.map(\.steady), runs))
        r.record("simulator", "conference 1,000 peers, leave and drain: virtual/real time", phases.map(\.leave).max()!, "×",
                 note: "90 s virtual, nearly idle after the closes; \(range(phases.map(\.leave), runs))")

        // The same 1,000 peers on 4 server shards of 250 peers (`--shards 4`). On one thread
        // the gain is locality alone: a shard's objects stay in the core's cache for a window.
        var sharded = c
        sharded.shards = 4
        let shardedReports = try (0..<runs).map { _ in try ShardedSimulation(sharded, jobs: 1).run() }
        let shardedBest = shardedReports.max { $0.speedUp < $1.speedUp }!
        r.record("simulator", "conference 1,000 peers on 4 shards, 1 thread: virtual/real time", shardedBest.speedUp, "×",
                 ratio: shardedBest.speedUp / report.speedUp,
                 note: "against one server; \(range(shardedReports.map(\.speedUp), runs))")
        // On every core, as `protoo simulate --shards 4` runs them (a child process: its heap
        // keeps glibc's per-thread arenas, which parallel shards need).
        let cores = ProcessInfo.processInfo.activeProcessorCount
        for (label, virtual, baseline) in [("", c.duration, report), (", default duration", d.duration, best)] {
            let seconds = Int(virtual.nanoseconds / 1_000_000_000)
            let children = try (0..<runs).map { _ in
                try simulateInChild(["--rooms", "100", "--peers-per-room", "10", "--duration", "\(seconds)s", "--seed", "1", "--shards", "4"])
            }
            let fastest = children.max { $0.speedUp < $1.speedUp }!
            r.record("simulator", "conference 1,000 peers\(label) on 4 shards, \(cores) threads: virtual/real time", fastest.speedUp, "×",
                     ratio: fastest.speedUp / baseline.speedUp,
                     note: "against one server; \(Int(fastest.virtualSeconds)) s virtual in \(BenchmarkRunner.format(fastest.wallSeconds)) s; \(range(children.map(\.speedUp), runs))")
        }

        // Per-event cost against peer count: 10× the peers should cost ≈ the same per event.
        // 100 peers run for ≈ 50 ms of wall time, where one slow moment weighs most: best of 7.
        let small = try (0..<(r.quick ? 1 : 7)).map { _ in try eventsPerSecond(rooms: 10, peersPerRoom: 10, seconds: r.quick ? 30 : 60) }
        // 1,000 and 10,000 peers run in alternation, so each pair shares the VM's mood of the
        // moment: the pairs' ratios say more than the ratio of two bests taken minutes apart.
        var middle: [(rate: Double, steadyRate: Double, peers: Int, bytesPerPeer: Double)] = []
        var large = middle
        for _ in 0..<runs {
            // The large run first: the first one's memory is measured on a heap only the 100-peer
            // runs have used (memory freed by a bigger run would be reused and hide growth).
            large.append(try eventsPerSecond(rooms: r.quick ? 200 : 1000, peersPerRoom: 10, seconds: r.quick ? 30 : 60))
            middle.append(try eventsPerSecond(rooms: r.quick ? 20 : 100, peersPerRoom: 10, seconds: r.quick ? 30 : 60))
        }
        let smallRate = small.map(\.rate).max()!, middleRate = middle.map(\.rate).max()!, largeRate = large.map(\.rate).max()!
        r.record("simulator", "events/s at 100 peers", smallRate, "events/s", note: range(small.map(\.rate), small.count))
        r.record("simulator", "events/s at \(middle[0].peers) peers", middleRate, "events/s", ratio: middleRate / smallRate,
                 note: "against 100 peers; \(range(middle.map(\.rate), runs))")
        r.record("simulator", "events/s at \(large[0].peers) peers", largeRate, "events/s", ratio: largeRate / smallRate,
                 note: "against 100 peers (× \(BenchmarkRunner.format(largeRate / middleRate)) against \(middle[0].peers)); ratio ≈ 1 means per-event cost is independent of peer count; \(range(large.map(\.rate), large.count))")
        // The same runs from the middle to the leave (everyone joined, no 1–2 kB join payloads):
        // the steady state's per-event cost, the cost a long simulation pays.
        let smallSteady = small.map(\.steadyRate).max()!, middleSteady = middle.map(\.steadyRate).max()!
        let largeSteady = large.map(\.steadyRate).max()!
        r.record("simulator", "steady-state events/s at 100 peers", smallSteady, "events/s", note: range(small.map(\.steadyRate), small.count))
        r.record("simulator", "steady-state events/s at \(middle[0].peers) peers", middleSteady, "events/s", ratio: middleSteady / smallSteady,
                 note: "against 100 peers; \(range(middle.map(\.steadyRate), runs))")
        r.record("simulator", "steady-state events/s at \(large[0].peers) peers", largeSteady, "events/s", ratio: largeSteady / smallSteady,
                 note: "against 100 peers (× \(BenchmarkRunner.format(largeSteady / middleSteady)) against \(middle[0].peers)); \(range(large.map(\.steadyRate), large.count))")
        for (name, rate) in [("whole runs", \(Double, Double, Int, Double).0), ("steady state", \.1)] as [(String, KeyPath<(Double, Double, Int, Double), Double>)] {
            let ratios = zip(large, middle).map { $0.0[keyPath: rate] / $0.1[keyPath: rate] }.sorted()
            r.record("simulator", "events/s at \(large[0].peers) against \(middle[0].peers) peers, \(name), pairs run back to back",
                     ratios[ratios.count / 2], "×",
                     note: "median of \(ratios.count) pair(s)\(ratios.count > 1 ? " (range \(BenchmarkRunner.format(ratios.first!))–\(BenchmarkRunner.format(ratios.last!)))" : ""); ≈ 1 means per-event cost is independent of peer count")
        }
        r.record("simulator", "memory per simulated peer at \(large[0].peers) peers", large[0].bytesPerPeer / 1024, "KB",
                 note: "peak RSS growth / peers, all connected and joined")

        // Per-event cost against peer count on shards of 250 peers, one thread: 1,000 peers on 4
        // shards against 10,000 on 40, in alternation (each pair shares the VM's mood).
        var shardedMiddle: [(rate: Double, steadyRate: Double, peers: Int, bytesPerPeer: Double)] = []
        var shardedLarge = shardedMiddle
        for _ in 0..<runs {
            shardedLarge.append(try eventsPerSecond(rooms: r.quick ? 200 : 1000, peersPerRoom: 10, seconds: r.quick ? 30 : 60, shards: r.quick ? 8 : 40))
            shardedMiddle.append(try eventsPerSecond(rooms: r.quick ? 20 : 100, peersPerRoom: 10, seconds: r.quick ? 30 : 60, shards: r.quick ? 1 : 4))
        }
        for (name, rate) in [("whole runs", \(Double, Double, Int, Double).0), ("steady state", \.1)] as [(String, KeyPath<(Double, Double, Int, Double), Double>)] {
            let ratios = zip(shardedLarge, shardedMiddle).map { $0.0[keyPath: rate] / $0.1[keyPath: rate] }.sorted()
            r.record("simulator", "events/s at \(shardedLarge[0].peers) against \(shardedMiddle[0].peers) peers on shards of 250 peers, 1 thread, \(name)",
                     ratios[ratios.count / 2], "×",
                     note: "median of \(ratios.count) pair(s)\(ratios.count > 1 ? " (range \(BenchmarkRunner.format(ratios.first!))–\(BenchmarkRunner.format(ratios.last!)))" : ""); \(BenchmarkRunner.format(shardedLarge.map { $0[keyPath: rate] }.max()!)) against \(BenchmarkRunner.format(shardedMiddle.map { $0[keyPath: rate] }.max()!)) events/s (best)")
        }
        // Memory per peer, each way in a fresh process (a heap that bigger runs freed would be
        // reused and hide growth): peak RSS over a one-peer run's, per peer.
        let largeRooms = r.quick ? 200 : 1000, largeShards = r.quick ? 8 : 40
        let common = ["--peers-per-room", "10", "--duration", "60s", "--arrival-window", "10s", "--seed", "2", "--jobs", "1"]
        let empty = try simulateInChild(["--rooms", "1", "--peers-per-room", "1", "--duration", "60s", "--arrival-window", "10s", "--seed", "2"])
        let oneServer = try simulateInChild(["--rooms", "\(largeRooms)"] + common)
        let shardedServers = try simulateInChild(["--rooms", "\(largeRooms)", "--shards", "\(largeShards)"] + common)
        func perPeerKB(_ report: SimulationReport) -> Double { (report.peakMemoryMB - empty.peakMemoryMB) * 1024 / Double(report.peers) }
        r.record("simulator", "memory per simulated peer at \(largeRooms * 10) peers on \(largeShards) shards", perPeerKB(shardedServers), "KB",
                 ratio: perPeerKB(shardedServers) / perPeerKB(oneServer),
                 note: "peak RSS over a one-peer run's, per peer, fresh process; one server the same way: \(BenchmarkRunner.format(perPeerKB(oneServer))) KB")
    }

    /// The conference with its awaited media service against a baseline build of `protoo` (the
    /// synchronous conference of an earlier commit, `PROTOO_BENCH_BASELINE=/path/to/protoo`),
    /// both as `protoo simulate` runs them, in alternation so that each pair shares the machine's
    /// mood. Without a baseline, the current build's figures alone.
    static func runMedia(_ r: BenchmarkRunner) throws {
        let runs = r.quick ? 1 : 3
        let baseline = ProcessInfo.processInfo.environment["PROTOO_BENCH_BASELINE"].map { URL(fileURLWithPath: $0) }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let seconds = r.quick ? 60 : 300
        let common = ["--rooms", "100", "--peers-per-room", "10", "--duration", "\(seconds)s", "--seed", "1"]
        let shape = "1,000 peers (100 rooms × 10), \(seconds) s + 90 s drain, seed 1, `protoo simulate` in a child process"
        for (label, extra) in [("one server", [String]()), ("4 shards, \(cores) threads", ["--shards", "4"])] {
            var current: [SimulationReport] = [], old: [SimulationReport] = []
            for _ in 0..<runs {
                current.append(try simulateInChild(common + extra))
                if let baseline { old.append(try simulateInChild(common + extra, executable: baseline)) }
            }
            let best = current.max { $0.speedUp < $1.speedUp }!
            let oldBest = old.max { $0.speedUp < $1.speedUp }
            r.record("media", "conference awaiting media, \(label): virtual/real time", best.speedUp, "×",
                     ratio: oldBest.map { best.speedUp / $0.speedUp },
                     note: "\(shape); \(range(current.map(\.speedUp), runs))\(oldBest == nil ? "" : "; ratio against the baseline build, same run")")
            if let oldBest {
                r.record("media", "baseline build (synchronous conference), \(label): virtual/real time", oldBest.speedUp, "×",
                         note: "\(baseline!.path); \(range(old.map(\.speedUp), runs))")
            }
        }
    }

    /// "best of N (range lo–hi)" for a figure's note.
    static func range(_ values: [Double], _ runs: Int) -> String {
        guard runs > 1 else { return "one run" }
        return "best of \(runs) runs (range \(BenchmarkRunner.format(values.min()!))–\(BenchmarkRunner.format(values.max()!)))"
    }

    /// Speed-up of the join phase (the first 60 virtual seconds), of the steady state (to the
    /// leave) and of the leave with the drain after it.
    static func phaseSpeedUps(seconds: Int) throws -> (join: Double, steady: Double, leave: Double) {
        var c = SimulationConfiguration()
        c.rooms = 100
        c.peersPerRoom = 10
        c.duration = .seconds(Int64(seconds))
        c.seed = 1
        let simulation = Simulation(c)
        let split = Instant.zero + .seconds(60), leave = Instant(nanoseconds: Int64(seconds) * 1_000_000_000 - 1)
        let start = ContinuousClock.now
        try simulation.advance(to: split)
        let joined = ContinuousClock.now
        try simulation.advance(to: leave)
        let left = ContinuousClock.now
        try simulation.advance(to: simulation.endInstant)
        let end = ContinuousClock.now
        func wall(_ d: Duration) -> Double { Double(d.nanoseconds) / 1e9 }
        func virtual(_ a: Instant, _ b: Instant) -> Double { Double((b - a).nanoseconds) / 1e9 }
        return (60 / wall(joined - start), virtual(split, leave) / wall(left - joined),
                virtual(leave, simulation.endInstant) / wall(end - left))
    }

    /// Events per wall second over the whole run and in its steady state (from the middle to the
    /// leave), and resident memory per peer at the middle.
    static func eventsPerSecond(rooms: Int, peersPerRoom: Int, seconds: Int, shards: Int = 1) throws
        -> (rate: Double, steadyRate: Double, peers: Int, bytesPerPeer: Double) {
        var c = SimulationConfiguration()
        c.rooms = rooms
        c.peersPerRoom = peersPerRoom
        c.shards = shards
        c.duration = .seconds(Int64(seconds))
        c.arrivalWindow = .seconds(10)
        c.seed = 2
        let before = Simulation.residentMemoryMB()
        let start = ContinuousClock.now
        let simulation = ShardedSimulation(c, jobs: 1)
        // Mid-run everyone is connected and joined: measure resident memory there.
        try simulation.advance(to: Instant.zero + .seconds(Int64(seconds / 2)))
        let grown = max(0, Simulation.residentMemoryMB() - before) * 1024 * 1024
        // The steady state: from the middle to just before everyone leaves.
        let middle = ContinuousClock.now, middleEvents = simulation.executedCount
        try simulation.advance(to: Instant(nanoseconds: Int64(seconds) * 1_000_000_000 - 1))
        let steadyEnd = ContinuousClock.now, steadyEvents = simulation.executedCount - middleEvents
        try simulation.advance(to: simulation.endInstant)
        let end = ContinuousClock.now
        func wall(_ d: Duration) -> Double { Double(d.nanoseconds) / 1e9 }
        return (Double(simulation.executedCount) / wall(end - start), Double(steadyEvents) / wall(steadyEnd - middle),
                rooms * peersPerRoom, grown / Double(rooms * peersPerRoom))
    }

    /// Runs `protoo simulate <arguments> --json` (built next to this benchmark, or `executable`)
    /// and decodes its report.
    static func simulateInChild(_ arguments: [String], executable: URL? = nil) throws -> SimulationReport {
        let process = Process()
        process.executableURL = try executable ?? ChildServer.protooExecutable()
        process.arguments = ["simulate"] + arguments + ["--json"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ChildServer.Failure(description: "protoo simulate \(arguments.joined(separator: " ")) exited with \(process.terminationStatus)")
        }
        return try JSONDecoder().decode(SimulationReport.self, from: data)
    }
}
