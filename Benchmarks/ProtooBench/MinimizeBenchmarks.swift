import Foundation
import Protoo
import ProtooApps
import ProtooReplay
import ProtooScenarios
import ProtooSimulator
import ProtooTestSupport
import ProtooTrace

/// Shrinking failures: a planted race found by a heavy-fault swarm, minimised seed by seed; a
/// renamed response field in a 10-minute conference trace, minimised.
enum MinimizeBenchmarks {
    static func run(_ r: BenchmarkRunner) throws {
        var heavy = SimulationConfiguration()
        heavy.rooms = 10
        heavy.peersPerRoom = 8
        heavy.duration = .seconds(120)
        heavy.faults = .heavy
        try simulations(r, heavy, label: "", shape: "planted race (TrackApp), 10 rooms × 8 peers, 120 s, heavy faults, one thread")
        // Failures late in long runs: light faults (a drop per client every 50 virtual minutes).
        var light = heavy
        light.duration = .seconds(600)
        light.faults = .light
        try simulations(r, light, label: " (late failures)", shape: "planted race (TrackApp), 10 rooms × 8 peers, 600 s, light faults, one thread")
        try replay(r)
    }

    /// The first 10 failing seeds of `c` (of `TrackApp`'s planted race: a close during an
    /// awaited `publish`), each minimised.
    static func simulations(_ r: BenchmarkRunner, _ configuration: SimulationConfiguration, label: String, shape: String) throws {
        let wanted = r.quick ? 3 : 10
        var c = configuration
        var rows: [(seed: UInt64, result: SimulationMinimizer.Result)] = []
        var seed: UInt64 = 0
        while rows.count < wanted, seed < 200 {
            seed += 1
            c.seed = seed
            if let result = SimulationMinimizer(scenario: TrackApp.scenario(publishUntil: c.duration - .seconds(10)), budget: .seconds(60)).minimize(c) {
                rows.append((seed, result))
                let m = result.minimal
                FileHandle.standardError.write(Data("  seed \(seed): '\(result.failure.name)' rooms \(m.populatedRooms), peers \(m.clientKeys.count), faults \(m.faultSchedule?.count ?? 0) (of \(result.original.faultSchedule?.count ?? 0)), events \(result.originalFailure.events) → \(result.failure.events), \(result.runs) runs, \(BenchmarkRunner.format(Double(result.searchTime.nanoseconds) / 1e9)) s\n".utf8))
            }
        }
        guard !rows.isEmpty else { return }
        let ratios = rows.map { Double($0.result.originalFailure.events) / Double(max(1, $0.result.failure.events)) }.sorted()
        let times = rows.map { Double($0.result.searchTime.nanoseconds) / 1e9 }.sorted()
        let goal = rows.filter { row in
            let m = row.result.minimal
            return m.populatedRooms == 1 && m.clientKeys.count <= 3 && (m.faultSchedule?.count ?? 0) <= 2
        }.count
        r.record("minimize", "simulate --minimize\(label): events up to the failure, before/after (median)", ratios[ratios.count / 2], "×",
                 note: "\(shape); \(rows.count) failing seeds of 1…\(seed); min \(BenchmarkRunner.format(ratios[0]))×, max \(BenchmarkRunner.format(ratios[ratios.count - 1]))×")
        r.record("minimize", "simulate --minimize\(label): search time (median)", times[times.count / 2], "s",
                 note: "max \(BenchmarkRunner.format(times[times.count - 1])) s; budget 60 s per seed")
        r.record("minimize", "simulate --minimize\(label): minimal runs of 1 room, ≤ 3 peers, ≤ 2 faults", Double(goal), "seeds",
                 note: "of \(rows.count); failures at \(BenchmarkRunner.format(rows.map { Double($0.result.originalFailure.time.nanoseconds) / 1e9 }.min() ?? 0))–\(BenchmarkRunner.format(rows.map { Double($0.result.originalFailure.time.nanoseconds) / 1e9 }.max() ?? 0)) s virtual")
    }

    /// A 10-minute conference recording (10 rooms × 6 peers), replayed against the conference app
    /// with `join`'s `peers` renamed, minimised.
    static func replay(_ r: BenchmarkRunner) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("protoo-bench-minimize-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("conference.ptrace.zst").path
        var c = SimulationConfiguration()
        c.duration = .seconds(600)
        var header = TraceHeader(createdAtUnixNanoseconds: 0, producerName: "protoo-bench", producerVersion: "0.1.0", host: "bench",
                                 scenario: "conference", seed: c.seed)
        header.monotonicOrigin = .zero
        var rc = TraceRecorderConfiguration(path: path, header: header)
        rc.overflowPolicy = .block
        let recorder = try TraceRecorder(configuration: rc)
        _ = try Simulation(c, tap: recorder).run()
        try recorder.close()
        let renamed: ProtooAppFactory = { RewritingApp(ConferenceApp(context: $0)) { Replace(#""peers":["#, #""peerList":["#) } }
        guard let result = try TraceMinimizer(budget: .seconds(120), app: renamed).minimize(path: path) else { return }
        r.record("minimize", "replay --minimize: records after (renamed join field)", Double(result.records.count), "records",
                 note: "10-minute conference trace, 60 peers: \(result.originalRecords) records, \(result.originalConnections) connections → \(result.connections) connections, \(result.clientMessages) client messages; \(result.runs) replays in \(BenchmarkRunner.format(Double(result.searchTime.nanoseconds) / 1e9)) s")
    }
}
