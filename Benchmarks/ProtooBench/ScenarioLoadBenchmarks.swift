import Foundation
import Protoo

/// `protoo load --scenario` capacity: one load process holding many scenario clients against
/// `protoo serve` on the same machine, and, in the same run, the synthetic load generator holding
/// as many connections at the same request rate (the baseline). Each load runs as its own child
/// process (`protoo load … --json`): its CPU is the operating system's account of the finished
/// child, its memory the peak resident set sampled from /proc while it runs.
enum ScenarioLoadBenchmarks {
    struct ChildRun {
        var json: JSONValue
        var cpuSeconds: Double
        var peakBytes: Double
        var wallSeconds: Double
    }

    static func run(_ r: BenchmarkRunner) throws {
        let clients = r.quick ? 1_000 : 10_000
        let rooms = clients / 10
        let hold = r.quick ? 10 : 45
        let server = try ChildServer(app: "echo")
        defer { server.stop() }
        let url = "ws://127.0.0.1:\(server.port)/"
        let shape = "\(clients) clients (\(rooms) rooms × 10), echo scenario (≈ 1 request per client per 1.1 s, 1 in flight), "
            + "arriving over \(hold) s then held \(hold) s, 1 load thread; protoo serve --app echo on the same 2-core machine"

        let serverBefore = try server.cpuSeconds()
        let scenario = try runChild(["load", url, "--scenario", "echo", "--rooms", "\(rooms)", "--peers-per-room", "10",
                                     "--duration", "\(2 * hold)s", "--arrival-window", "\(hold)s", "--threads", "1", "--json"])
        let serverCPU = try server.cpuSeconds() - serverBefore
        let held = scenario.json["connectionsHeld"]?.intValue ?? 0
        let requests = scenario.json["clientRequests"]?.intValue ?? 0
        let breaks = scenario.json["invariantBreaks"]?.intValue ?? -1
        r.record("scenario-load", "connections held (of \(clients) clients)", Double(held), "connections", note: shape)
        r.record("scenario-load", "invariant breaks", Double(breaks), "breaks", note: shape)
        r.record("scenario-load", "load CPU per client", scenario.cpuSeconds / Double(clients) * 1e3, "ms", note: "\(shape); whole run, \(f(scenario.wallSeconds)) s")
        r.record("scenario-load", "load CPU per request", scenario.cpuSeconds / Double(max(1, requests)) * 1e6, "µs", note: shape)
        r.record("scenario-load", "load peak RSS per client", scenario.peakBytes / Double(clients) / 1024, "KB", note: "\(shape); peak \(mb(scenario.peakBytes)) MB")
        r.record("scenario-load", "p99 (echo)", scenario.json["latencyP99Ms"]?.doubleValue ?? 0, "ms", note: shape)
        r.record("scenario-load", "server CPU per request", serverCPU / Double(max(1, requests)) * 1e6, "µs", note: "\(shape); \(requests) requests")

        // The baseline: the synthetic generator, as many connections, the same rate, held as long.
        let rate = Double(clients) / 1.1
        let baseline = try runChild(["load", url, "--peers", "\(clients)", "--rate", "\(Int(rate))", "--inflight", "1",
                                     "--duration", "\(hold)s", "--threads", "1", "--json"])
        let baselineRequests = baseline.json["issued"]?.intValue ?? 0
        let baselineShape = "\(clients) peers, open loop \(Int(rate)) requests/s (1 in flight each), \(hold) s, 1 load thread, protoo load --peers"
        r.record("scenario-load", "baseline: connections", Double(baseline.json["peersConnected"]?.intValue ?? 0), "connections", note: baselineShape)
        r.record("scenario-load", "baseline: load CPU per request", baseline.cpuSeconds / Double(max(1, baselineRequests)) * 1e6, "µs",
                 ratio: (scenario.cpuSeconds / Double(max(1, requests))) / (baseline.cpuSeconds / Double(max(1, baselineRequests))),
                 note: "\(baselineShape); ratio: scenario load / this")
        r.record("scenario-load", "baseline: load peak RSS per client", baseline.peakBytes / Double(clients) / 1024, "KB",
                 ratio: scenario.peakBytes / max(1, baseline.peakBytes), note: "\(baselineShape); ratio: scenario load / this")
        r.record("scenario-load", "baseline: p99", (baseline.json["latency"]?["p99"]?.doubleValue ?? 0) / 1000, "ms", note: baselineShape)
    }

    /// Runs `protoo <arguments>` to its end: its JSON, the CPU the OS accounted to it, its peak RSS.
    static func runChild(_ arguments: [String]) throws -> ChildRun {
        let process = Process()
        process.executableURL = try ChildServer.protooExecutable()
        process.arguments = arguments
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("protoo-bench-load-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).json")
        guard FileManager.default.createFile(atPath: out.path, contents: nil) else { throw ChildServer.Failure(description: "cannot create \(out.path)") }
        defer { try? FileManager.default.removeItem(at: out) }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = FileHandle.nullDevice
        var before = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &before)
        let started = Date()
        try process.run()
        var peak = 0.0
        while process.isRunning {
            if let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
               let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
               let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") {
                peak = max(peak, kilobytes * 1024)
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        process.waitUntilExit()
        var after = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &after)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        let cpu = seconds(after.ru_utime) + seconds(after.ru_stime) - seconds(before.ru_utime) - seconds(before.ru_stime)
        let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        guard let json = try? JSONParser.parse(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw ChildServer.Failure(description: "protoo \(arguments.prefix(3).joined(separator: " ")) printed no JSON (exit \(process.terminationStatus)): \(text.prefix(500))")
        }
        return ChildRun(json: json, cpuSeconds: cpu, peakBytes: peak, wallSeconds: Date().timeIntervalSince(started))
    }

    private static func f(_ x: Double) -> String { String(format: "%.1f", x) }
    private static func mb(_ bytes: Double) -> String { String(format: "%.0f", bytes / 1_048_576) }
}
