import Foundation
import Protoo

/// One method's line in a report: requests, failures and latency percentiles (microseconds).
public struct MethodSummary: Sendable, Hashable {
    public var method: String
    public var requests: Int
    public var errors: Int
    /// Answered requests timed.
    public var timed: Int
    public var p50: Double, p90: Double, p99: Double, max: Double

    /// Every method measured, by name.
    public static func all(_ m: Measurements) -> [MethodSummary] {
        Set(m.requests.keys).union(m.latency.keys).sorted().map { method in
            let h = m.latency[method].flatMap { $0.totalCount > 0 ? $0 : nil }
            let timed = Int(h?.totalCount ?? 0)
            func at(_ p: Double) -> Double { h.map { Double($0.valueAtPercentile(p)) } ?? 0 }
            return MethodSummary(method: method, requests: m.requests[method] ?? 0, errors: m.errors[method] ?? 0, timed: timed,
                                 p50: at(50), p90: at(90), p99: at(99), max: h.map { Double($0.max) } ?? 0)
        }
    }

    public var json: JSONValue {
        ["method": .string(method), "requests": JSONValue(requests), "errors": JSONValue(errors), "count": JSONValue(timed),
         "p50": .double(p50), "p90": .double(p90), "p99": .double(p99), "max": .double(max)]
    }

    /// The methods as an aligned table (milliseconds), one line each, with a header.
    public static func table(_ rows: [MethodSummary]) -> [String] {
        guard !rows.isEmpty else { return [] }
        let width = Swift.max(20, (rows.map(\.method.count).max() ?? 0) + 2)
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s.padding(toLength: n, withPad: " ", startingAt: 0) }
        func ms(_ us: Double) -> String { String(format: "%.2f", us / 1000) }
        var lines = [pad("method", width) + pad("requests", 10) + pad("errors", 8) + pad("p50 ms", 9) + pad("p90 ms", 9) + pad("p99 ms", 9) + "max ms"]
        for r in rows {
            lines.append(pad(r.method, width) + pad(String(r.requests), 10) + pad(String(r.errors), 8)
                         + [r.p50, r.p90, r.p99].map { pad(ms($0), 9) }.joined() + ms(r.max))
        }
        return lines
    }
}
