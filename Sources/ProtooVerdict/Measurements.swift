import Histogram

/// What a run measured, for ``Threshold``s to judge: request latency, requests, errors and
/// divergences, each by method. Built by `protoo load` (plain and `--trace`) and live replay.
public struct Measurements: Sendable, Codable {
    /// Latency of answered requests, in microseconds, by method.
    public var latency: [String: Histogram<UInt64>] = [:]
    /// Requests that finished (answered, or failed for good), by method.
    public var requests: [String: Int] = [:]
    /// Requests that failed, by method (what counts as failed is the tool's: see docs/load.md).
    public var errors: [String: Int] = [:]
    /// Divergences from a recording, by method (`""` for events without one, such as a refusal).
    public var divergences: [String: Int] = [:]

    public init() {}

    /// The highest latency kept (microseconds): two minutes.
    public static let highestLatencyMicroseconds: UInt64 = 120_000_000

    /// An empty latency histogram: 1 µs to two minutes, three significant digits.
    public static func emptyHistogram() -> Histogram<UInt64> {
        Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: highestLatencyMicroseconds,
                          numberOfSignificantValueDigits: .three)
    }

    /// Records one answered request of `method` that took `nanoseconds`.
    public mutating func recordLatency(method: String, nanoseconds: UInt64) {
        let micros = min(Self.highestLatencyMicroseconds, max(1, nanoseconds / 1000))
        latency[method, default: Self.emptyHistogram()].record(micros)
    }

    /// Adds `other`'s counts and merges its histograms (percentiles are never averaged).
    public mutating func merge(_ other: Measurements) {
        for (method, h) in other.latency {
            if var mine = latency[method] {
                mine.add(h)
                latency[method] = mine
            } else {
                latency[method] = h
            }
        }
        requests.merge(other.requests, uniquingKeysWith: +)
        errors.merge(other.errors, uniquingKeysWith: +)
        divergences.merge(other.divergences, uniquingKeysWith: +)
    }

    /// The latency of `method`, or of every method merged when `nil`.
    public func latency(method: String?) -> Histogram<UInt64>? {
        if let method { return latency[method] }
        var all: Histogram<UInt64>?
        for (_, h) in latency.sorted(by: { $0.key < $1.key }) {
            if all == nil { all = h } else { all?.add(h) }
        }
        return all
    }

    func count(_ counts: [String: Int], method: String?) -> Int {
        method.map { counts[$0] ?? 0 } ?? counts.values.reduce(0, +)
    }
}
