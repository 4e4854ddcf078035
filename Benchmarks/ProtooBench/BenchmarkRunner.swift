import Foundation

/// One measured figure.
struct Figure: Codable {
    var suite: String
    var name: String
    var value: Double
    var unit: String
    /// Optional comparison with a baseline measured in the same run (value / baseline).
    var ratio: Double?
    var note: String?
}

/// Collects figures and prints them as a table or as one JSON object.
final class BenchmarkRunner {
    let quick: Bool
    private(set) var figures: [Figure] = []

    init(quick: Bool) { self.quick = quick }

    func record(_ suite: String, _ name: String, _ value: Double, _ unit: String, ratio: Double? = nil, note: String? = nil) {
        figures.append(Figure(suite: suite, name: name, value: value, unit: unit, ratio: ratio, note: note))
        FileHandle.standardError.write(Data("  \(suite) / \(name): \(Self.format(value)) \(unit)\n".utf8))
    }

    /// Operations per second of `body` (which returns how many operations it performed): the best
    /// of several timed windows, each running `body` repeatedly for at least `minimum` seconds.
    /// Best-of rather than mean: on a shared machine, other tenants only ever slow a window down.
    func throughput(minimum: Double? = nil, _ body: () -> Int) -> Double {
        let window = minimum.map { $0 / 3 } ?? (quick ? 0.1 : 0.5)
        _ = body()  // warm-up
        var best = 0.0
        for _ in 0..<3 {
            var ops = 0
            let start = DispatchTime.now().uptimeNanoseconds
            var elapsed = 0.0
            repeat {
                ops += body()
                elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            } while elapsed < window
            best = max(best, Double(ops) / elapsed)
        }
        return best
    }

    /// Like ``throughput(minimum:_:)`` per second of the calling thread's CPU time rather than
    /// wall time: for single-threaded A/B pairs on a shared machine, where another tenant's work
    /// would lengthen either side's wall time at random but not its CPU time.
    func cpuThroughput(_ body: () -> Int) -> Double {
        func cpuNow() -> Double {
            var t = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
            return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
        }
        let window = quick ? 0.1 : 0.5
        _ = body()  // warm-up
        var best = 0.0
        for _ in 0..<3 {
            var ops = 0
            let start = cpuNow()
            var elapsed = 0.0
            repeat {
                ops += body()
                elapsed = cpuNow() - start
            } while elapsed < window
            best = max(best, Double(ops) / elapsed)
        }
        return best
    }

    static func format(_ v: Double) -> String {
        if v >= 100 { return String(format: "%.0f", v) }
        if v >= 1 { return String(format: "%.2f", v) }
        return String(format: "%.4f", v)
    }

    func printTable() {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        print("protoo-bench — \(cores) cores, \(quick ? "quick" : "full") run")
        print(pad("suite", 12) + pad("figure", 52) + pad("value", 16) + "unit")
        for f in figures {
            var line = pad(f.suite, 12) + pad(f.name, 52) + pad(Self.format(f.value), 16) + f.unit
            if let r = f.ratio { line += String(format: "  (×%.2f vs baseline)", r) }
            if let n = f.note { line += "  [\(n)]" }
            print(line)
        }
    }

    func printJSON() {
        struct Report: Codable { var cores: Int; var quick: Bool; var figures: [Figure] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let report = Report(cores: ProcessInfo.processInfo.activeProcessorCount, quick: quick, figures: figures)
        print(String(decoding: try! encoder.encode(report), as: UTF8.self))
    }

    private func pad(_ s: String, _ n: Int) -> String {
        s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count)
    }
}

/// Keeps a value alive so the optimizer cannot drop the work that produced it.
@inline(never) func blackHole<T>(_ value: T) { withExtendedLifetime(value) {} }
