import Foundation

extension LoadReport {
    /// The report as an aligned two-column table for people (what `protoo load` prints).
    public var table: String {
        func number(_ value: Double, _ digits: Int = 0) -> String { String(format: "%.\(digits)f", value) }
        func microseconds(_ value: Double) -> String {
            value >= 10_000 ? number(value / 1000, 1) + " ms" : number(value) + " µs"
        }
        var rows: [(String, String)] = [
            ("server", url),
            ("mode", mode == "open" ? "open loop, \(number(rate ?? 0)) req/s arriving, ≤ \(inflight) in flight per peer"
                                    : "closed loop, \(inflight) in flight per peer"),
            ("method", "\(method), payload \(payloadBytes) B"),
            ("peers connected", "\(peersConnected) of \(peersRequested)"),
            ("connect time", "p50 \(number(connectTimeP50Milliseconds, 2)) ms, max \(number(connectTimeMaxMilliseconds, 2)) ms"),
            ("duration", "\(number(durationSeconds, 2)) s issuing, \(number(elapsedSeconds, 2)) s until the last answer"),
            ("requests issued", "\(issued)"),
            ("completed", "\(completed)"),
            ("errors", errors.isEmpty ? "0" : "\(errorCount) (" + errors.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + ")"),
        ]
        if mode == "open" { rows.append(("dropped arrivals", "\(droppedArrivals)")) }
        if unfinished > 0 { rows.append(("unfinished", "\(unfinished) (still in flight at the drain timeout)")) }
        rows.append(("requests/s", number(requestsPerSecond)))
        rows.append(("latency", latency.count == 0 ? "no answers" :
            "p50 \(microseconds(latency.p50))  p90 \(microseconds(latency.p90))  p99 \(microseconds(latency.p99))  "
            + "p99.9 \(microseconds(latency.p999))  max \(microseconds(latency.max))"))
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0.padding(toLength: width + 2, withPad: " ", startingAt: 0) + $0.1 }.joined(separator: "\n")
    }
}
