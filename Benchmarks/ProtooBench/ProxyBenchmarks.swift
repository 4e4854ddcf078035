import Foundation
import ProtooLoad

/// What `protoo proxy` costs: `protoo serve --app echo` in one child process, `protoo proxy` in
/// front of it in another, and the ProtooLoad generator (in process, over loopback) on both, in
/// alternated windows (direct, then via the proxy) so that machine noise hits both alike. Each
/// figure names its load shape: peers × requests in flight per peer (closed loop), or a fixed rate.
enum ProxyBenchmarks {
    /// Closed loops (`rate` nil) at 1 and 4 requests in flight per peer, and an open loop at a
    /// fixed total rate that leaves the machine idle most of the time (so that queueing behind a
    /// saturated CPU, which a closed loop at 50 peers measures, is not counted as the proxy's cost).
    static let shapes: [(peers: Int, inflight: Int, rate: Double?)] = [(1, 1, nil), (1, 4, nil), (50, 1, nil), (50, 4, nil), (50, 4, 2_000)]

    static func run(_ r: BenchmarkRunner) throws {
        let seconds = r.quick ? 1.0 : 2.0
        let rounds = r.quick ? 2 : 5
        let server: ChildServer, proxy: ChildServer
        do {
            server = try ChildServer(app: "echo")
            proxy = try ChildServer(arguments: ["proxy", "--listen", "127.0.0.1:0", "--upstream", "ws://127.0.0.1:\(server.port)", "--log-level", "warning"])
        } catch {
            FileHandle.standardError.write(Data("  proxy suite skipped: \(error)\n".utf8))
            return
        }
        defer {
            proxy.stop()
            server.stop()
        }
        for shape in shapes {
            func configuration(port: Int, prefix: String) -> LoadConfiguration {
                LoadConfiguration(url: "ws://127.0.0.1:\(port)/", peers: shape.peers, duration: .milliseconds(Int64(seconds * 1000)),
                                  inflight: shape.inflight, rate: shape.rate, peerIDPrefix: prefix, threads: 1)
            }
            let tag = "\(shape.peers)x\(shape.inflight)\(shape.rate.map { "r\(Int($0))" } ?? "")-"
            let directConfiguration = configuration(port: server.port, prefix: "d\(tag)")
            let proxiedConfiguration = configuration(port: proxy.port, prefix: "p\(tag)")
            let direct = try blockingAwait { try await LoadSession.connect(directConfiguration) }
            let proxied = try blockingAwait { try await LoadSession.connect(proxiedConfiguration) }
            // Warm both paths (code, allocator, TCP windows) before measuring.
            _ = try blockingAwait { await direct.run() }
            _ = try blockingAwait { await proxied.run() }
            var pairs: [(direct: LoadReport, proxied: LoadReport, proxyCPU: Double)] = []
            for _ in 0..<rounds {
                let d = try blockingAwait { await direct.run() }
                let before = try proxy.cpuSeconds()
                let p = try blockingAwait { await proxied.run() }
                let cpu = try proxy.cpuSeconds() - before
                pairs.append((d, p, cpu))
            }
            try blockingAwait { await direct.close() }
            try blockingAwait { await proxied.close() }
            record(r, shape: shape, pairs: pairs)
        }
    }

    private static func record(_ r: BenchmarkRunner, shape: (peers: Int, inflight: Int, rate: Double?), pairs: [(direct: LoadReport, proxied: LoadReport, proxyCPU: Double)]) {
        let label = shape.rate.map { "\(shape.peers) peers, open loop \(Int($0)) req/s (≤ \(shape.inflight) in flight each), echo, loopback" }
            ?? "\(shape.peers) peer(s) × \(shape.inflight) in flight, echo, loopback"
        func median(_ values: [Double]) -> Double {
            let sorted = values.sorted()
            return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
        }
        let added = pairs.map { $0.proxied.latency.p50 - $0.direct.latency.p50 }
        let errors = pairs.reduce(0) { $0 + $1.direct.errorCount + $1.proxied.errorCount + $1.direct.unfinished + $1.proxied.unfinished }
        let errorNote = errors > 0 ? "; \(errors) errors or unfinished" : ""
        r.record("proxy", "echo latency p50 direct, \(label)", median(pairs.map(\.direct.latency.p50)), "µs",
                 note: "median of \(pairs.count) windows")
        r.record("proxy", "echo latency p50 via protoo proxy, \(label)", median(pairs.map(\.proxied.latency.p50)), "µs",
                 note: "median of \(pairs.count) windows, alternated with the direct ones")
        r.record("proxy", "added p50 latency, \(label)", median(added), "µs",
                 note: "median over \(pairs.count) pairs of (proxied − direct) p50; range \(BenchmarkRunner.format(added.min() ?? 0))–\(BenchmarkRunner.format(added.max() ?? 0)) µs; target ≤ 100 µs\(errorNote)")
        r.record("proxy", "echo latency p99 direct, \(label)", median(pairs.map(\.direct.latency.p99)), "µs")
        r.record("proxy", "echo latency p99 via protoo proxy, \(label)", median(pairs.map(\.proxied.latency.p99)), "µs")
        r.record("proxy", "echo requests/s direct, \(label)", median(pairs.map(\.direct.requestsPerSecond)), "req/s")
        r.record("proxy", "echo requests/s via protoo proxy, \(label)", median(pairs.map(\.proxied.requestsPerSecond)), "req/s",
                 note: "the proxy process competes with the server and the load generator for this machine's cores")
        let perMessage = pairs.map { $0.proxyCPU / Double(max(1, 2 * ($0.proxied.completed + $0.proxied.errorCount))) }
        r.record("proxy", "proxy CPU per relayed message, \(label)", median(perMessage) * 1e6, "µs",
                 note: "proxy child utime+stime / messages relayed (a request and its response: 2 per request); range \(BenchmarkRunner.format((perMessage.min() ?? 0) * 1e6))–\(BenchmarkRunner.format((perMessage.max() ?? 0) * 1e6)) µs")
    }
}
