import Foundation
import ProtooLoad

/// Real sockets: `protoo serve --app conformance` as a child process, loaded in-process by the
/// ProtooLoad generator over loopback. Server CPU per request and memory per connected peer come
/// from the child's own accounting in /proc, so the load generator's cost is not in them.
enum SocketBenchmarks {
    /// The closed loop's window per peer for the throughput, scaling and recording figures.
    static let inflight = 4
    /// The 200-peer figures are measured at one request in flight per peer (as a browser's
    /// protoo-client sends them) and at ``inflight``: each figure names its shape.
    static let shapes = [1, inflight]

    static func run(_ r: BenchmarkRunner) throws {
        let seconds = r.quick ? 2.0 : 3.0
        let server: ChildServer
        do {
            server = try ChildServer(app: "conformance")
        } catch {
            // The other suites' figures still print; this one says what to do.
            FileHandle.standardError.write(Data("  sockets suite skipped: \(error)\n".utf8))
            return
        }
        defer { server.stop() }
        let url = "ws://127.0.0.1:\(server.port)/"
        func configuration(peers: Int, prefix: String, seconds: Double, inflight: Int = inflight) -> LoadConfiguration {
            LoadConfiguration(url: url, peers: peers, duration: .milliseconds(Int64(seconds * 1000)), inflight: inflight,
                              peerIDPrefix: prefix, threads: 1)
        }

        // Warm up the server (code paths, allocator) with one short run, then measure memory on a quiet server.
        let warmUp = configuration(peers: 1, prefix: "warm-", seconds: 0.2)
        _ = try blockingAwait { try await LoadSession.run(warmUp) }
        Thread.sleep(forTimeInterval: 0.2)
        let idleBefore = try server.residentBytes()
        let peers = 200
        let largeConfiguration = configuration(peers: peers, prefix: "p\(peers)-", seconds: seconds)
        let session = try blockingAwait { try await LoadSession.connect(largeConfiguration) }
        Thread.sleep(forTimeInterval: 0.3)
        let idleAfter = try server.residentBytes()
        let connected = session.connectedPeers
        let perPeer = (idleAfter - idleBefore) / Double(max(1, connected))

        let browserShaped = try measure(server, r, session: session, inflight: shapes[0])
        let afterLoad = try server.residentBytes()
        try blockingAwait { await session.close() }
        r.record("sockets", "server memory per connected idle peer (\(connected) peers)", perPeer / 1024, "KB",
                 note: "child VmRSS \(mb(idleBefore)) → \(mb(idleAfter)) MB; \(mb(afterLoad)) MB after load; target ≤ 8 KB")
        var large = browserShaped
        for shape in shapes.dropFirst() {
            let shaped = configuration(peers: peers, prefix: "p\(peers)x\(shape)-", seconds: seconds, inflight: shape)
            let session = try blockingAwait { try await LoadSession.connect(shaped) }
            large = try measure(server, r, session: session, inflight: shape)
            try blockingAwait { await session.close() }
        }

        var small: Measurement?
        for count in [1, 50] {
            let smallConfiguration = configuration(peers: count, prefix: "p\(count)-", seconds: seconds)
            let session = try blockingAwait { try await LoadSession.connect(smallConfiguration) }
            let measurement = try measure(server, r, session: session, inflight: inflight)
            try blockingAwait { await session.close() }
            if count == 1 { small = measurement }
        }
        if let small {
            r.record("sockets", "server CPU per request, \(connected) vs 1 peer(s), \(inflight) in flight each", large.cpuPerRequest / small.cpuPerRequest, "×",
                     note: "≈ 1 or below: per-request cost does not grow with peers")
        }
        try recordingOverhead(r, plain: server, seconds: seconds)
    }

    /// The same load on a second server that records every message (`--record`), in alternated
    /// pairs of runs (plain, then recording) so that machine noise hits both alike. Each figure's
    /// ratio is the geometric mean of the per-pair ratios; the note gives their range. One pair
    /// on this shared VM varies by ± 20 %, so the full run takes eight pairs.
    static func recordingOverhead(_ r: BenchmarkRunner, plain: ChildServer, seconds: Double) throws {
        let trace = FileManager.default.temporaryDirectory.appendingPathComponent("protoo-bench-\(getpid()).ptrace.zst").path
        defer { try? FileManager.default.removeItem(atPath: trace) }
        let recording = try ChildServer(app: "conformance", extraArguments: ["--record", trace])
        defer { recording.stop() }
        /// Per pair: (plain, recording) of whole-process CPU, event-loop CPU, requests, seconds.
        var pairs: [(cpu: [Double], loop: [Double], done: [Double], wall: [Double])] = []
        for round in 0..<(r.quick ? 2 : 8) {
            var pair = (cpu: [0.0, 0.0], loop: [0.0, 0.0], done: [0.0, 0.0], wall: [0.0, 0.0])
            for (i, server) in [plain, recording].enumerated() {
                let configuration = LoadConfiguration(url: "ws://127.0.0.1:\(server.port)/", peers: 50,
                                                      duration: .milliseconds(Int64(seconds * 1000)), inflight: inflight,
                                                      peerIDPrefix: "rec\(round)-\(i)-", threads: 1)
                let before = try server.cpuSeconds()
                let loopBefore = try server.eventLoopCPUSeconds()
                let report = try blockingAwait { try await LoadSession.run(configuration) }
                pair.cpu[i] = try server.cpuSeconds() - before
                pair.loop[i] = try server.eventLoopCPUSeconds() - loopBefore
                pair.done[i] = Double(report.completed)
                pair.wall[i] = report.elapsedSeconds
            }
            if pair.done[0] > 0, pair.done[1] > 0 { pairs.append(pair) }
        }
        guard !pairs.isEmpty else { return }
        /// The recording run's per-request (or per-second) value, its ratio to the plain run
        /// (geometric mean over pairs) and the range of the per-pair ratios.
        func summary(_ value: (Int, (cpu: [Double], loop: [Double], done: [Double], wall: [Double])) -> Double)
            -> (value: Double, ratio: Double, range: String) {
            let ratios = pairs.map { value(1, $0) / value(0, $0) }
            let ratio = exp(ratios.map { log($0) }.reduce(0, +) / Double(ratios.count))
            let mean = pairs.map { value(1, $0) }.reduce(0, +) / Double(pairs.count)
            return (mean, ratio, String(format: "pairs × %.2f–%.2f (%d)", ratios.min()!, ratios.max()!, ratios.count))
        }
        let process = summary { i, p in p.cpu[i] / p.done[i] }
        r.record("sockets", "server CPU per request with --record", process.value * 1e6, "µs", ratio: process.ratio,
                 note: "50 peers; whole process, writer thread included; \(process.range); baseline: the same server without recording")
        let loop = summary { i, p in p.loop[i] / p.done[i] }
        r.record("sockets", "event-loop CPU per request with --record", loop.value * 1e6, "µs", ratio: loop.ratio,
                 note: "the NIO thread only, what recording costs the thread that serves requests; \(loop.range)")
        let rate = summary { i, p in p.done[i] / p.wall[i] }
        r.record("sockets", "echo requests/s with --record", rate.value, "req/s", ratio: rate.ratio,
                 note: "\(rate.range); the writer thread competes with the load generator for this machine's 2 cores")
    }

    struct Measurement {
        var cpuPerRequest: Double
    }

    /// Closed-loop windows on `session` (three, or one with `--quick`), recorded as figures: the
    /// best window of each (other tenants of a shared machine only ever make a window worse), with
    /// the range over all windows in the note.
    static func measure(_ server: ChildServer, _ r: BenchmarkRunner, session: LoadSession, inflight: Int) throws -> Measurement {
        let peers = session.connectedPeers
        var windows: [(report: LoadReport, cpuPerRequest: Double, userPerRequest: Double, selfPerRequest: Double)] = []
        for _ in 0..<(r.quick ? 1 : 3) {
            let cpuBefore = try server.cpuTimes()
            let selfBefore = try ChildServer.cpuSeconds(statPath: "/proc/self/stat")
            let report = try blockingAwait { await session.run() }
            let cpuAfter = try server.cpuTimes()
            let user = cpuAfter.user - cpuBefore.user
            let cpu = user + cpuAfter.system - cpuBefore.system
            let selfCPU = try ChildServer.cpuSeconds(statPath: "/proc/self/stat") - selfBefore
            let finished = Double(report.completed + report.errorCount)
            windows.append((report, finished > 0 ? cpu / finished : 0, finished > 0 ? user / finished : 0,
                            finished > 0 ? selfCPU / finished : 0))
        }
        let fastest = windows.max { $0.report.requestsPerSecond < $1.report.requestsPerSecond }!
        let cheapest = windows.min { $0.cpuPerRequest < $1.cpuPerRequest }!
        let report = fastest.report
        let label = "\(peers) peer(s) × \(inflight) in flight, protoo load"
        var errors = ""
        let failed = windows.reduce(0) { $0 + $1.report.errorCount + $1.report.unfinished }
        if failed > 0 { errors = ", \(failed) errors or unfinished over all windows" }
        func range(_ values: [Double], scale: Double = 1) -> String {
            "\(BenchmarkRunner.format(values.min()! * scale))–\(BenchmarkRunner.format(values.max()! * scale))"
        }
        r.record("sockets", "echo requests/s, \(label)", report.requestsPerSecond, "req/s",
                 note: "best of \(windows.count) windows: \(report.completed) in \(BenchmarkRunner.format(report.elapsedSeconds)) s; range \(range(windows.map(\.report.requestsPerSecond)))\(errors)")
        r.record("sockets", "echo latency p50, \(label)", report.latency.p50, "µs")
        r.record("sockets", "echo latency p99, \(label)", report.latency.p99, "µs")
        r.record("sockets", "server CPU per request, \(label)", cheapest.cpuPerRequest * 1e6, "µs",
                 note: "child utime+stime / requests, best of \(windows.count) windows (range \(range(windows.map(\.cpuPerRequest), scale: 1e6)) µs); "
                     + "user \(BenchmarkRunner.format(cheapest.userPerRequest * 1e6)) µs + kernel \(BenchmarkRunner.format((cheapest.cpuPerRequest - cheapest.userPerRequest) * 1e6)) µs")
        r.record("sockets", "load generator CPU per request, \(label)", cheapest.selfPerRequest * 1e6, "µs",
                 note: "this process, for context")
        return Measurement(cpuPerRequest: cheapest.cpuPerRequest)
    }

    private static func mb(_ bytes: Double) -> String { String(format: "%.1f", bytes / 1_048_576) }
}
