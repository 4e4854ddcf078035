import ProtooApps
import Foundation
import Protoo
import ProtooReplay
import ProtooScenarios
import ProtooSimulator
import ProtooTrace

/// Replay throughput: recorded events per second, end to end (decompress, parse, engine + app,
/// compare), on the sample traces and on a bigger simulated one.
enum ReplayBenchmarks {
    static func run(_ r: BenchmarkRunner) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        defer { try? FileManager.default.removeItem(at: scratch) }
        for name in ["sim-3rooms.ptrace.zst", "sim-faults.ptrace.zst"] {
            let path = root.appendingPathComponent("traces/\(name)").path
            try measure(r, name, path)
        }
        let big = try generate(.conference, rooms: 10, peersPerRoom: 6, seconds: r.quick ? 120 : 600)
        try measure(r, "generated 10x6 conference", big)
        // The echo app does almost nothing: this is close to the replayer's own cost.
        let echo = try generate(.echo, rooms: 10, peersPerRoom: 6, seconds: r.quick ? 120 : 600)
        try measure(r, "generated 10x6 echo", echo, app: "echo")
        var options = ReplayOptions()
        options.seed = .fixed(5)
        options.rules = try ReplayRules(contentsOfFile: root.appendingPathComponent("traces/rules/conference.json").path)
        try measure(r, "generated, other seed + rules", big, options: options)
    }

    private static func measure(_ r: BenchmarkRunner, _ name: String, _ path: String,
                                options: ReplayOptions = ReplayOptions(), app: String = "conference") throws {
        let factory = BuiltInApps.factory(named: app)!
        var failure: String?
        let rate = r.throughput {
            do {
                let report = try Replayer(path: path, options: options, app: factory).run()
                if !report.passed { failure = report.description }
                return report.events
            } catch {
                failure = "\(error)"
                return 1
            }
        }
        if let failure { throw BenchmarkError(message: "replay of \(name) diverged: \(failure)") }
        r.record("replay", name, rate, "events/s")
    }

    /// Records a simulated conference run to a temporary trace.
    private static func generate(_ scenario: SimulationConfiguration.ScenarioName, rooms: Int, peersPerRoom: Int, seconds: Int64) throws -> String {
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let path = scratch.appendingPathComponent("generated-\(scenario.rawValue).ptrace.zst").path
        var config = SimulationConfiguration()
        config.scenario = scenario
        config.rooms = rooms
        config.peersPerRoom = peersPerRoom
        config.duration = .seconds(seconds)
        config.seed = 3
        let header = TraceHeader(createdAtUnixNanoseconds: 0, producerName: ReplaySeed.simulatorProducerName,
                                 producerVersion: "bench", host: "bench", scenario: scenario.rawValue, seed: config.seed)
        var rc = TraceRecorderConfiguration(path: path, header: header)
        rc.overflowPolicy = .block
        rc.overwritesExisting = true
        let recorder = try TraceRecorder(configuration: rc)
        _ = try Simulation(config, tap: recorder).run()
        try recorder.close()
        return path
    }

    /// Where generated traces go; removed when the suite ends.
    private static let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("protoo-bench-replay-\(getpid())")

    struct BenchmarkError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}
