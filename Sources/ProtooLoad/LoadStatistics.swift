import Histogram
import Protoo
import ProtooClient

/// Counts and latencies of one event loop's peers during a run; merged into a ``LoadReport``.
struct LoadStatistics: Sendable {
    /// Latencies above this (microseconds) are recorded as this.
    static let highestLatencyMicroseconds: UInt64 = 120_000_000

    var issued = 0
    var completed = 0
    var errors: [String: Int] = [:]
    var droppedArrivals = 0
    var unfinished = 0
    var startNanoseconds: UInt64 = 0
    var endNanoseconds: UInt64 = 0
    var latency = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: highestLatencyMicroseconds,
                                    numberOfSignificantValueDigits: .three)

    mutating func recordLatency(nanoseconds: UInt64) {
        latency.record(min(Self.highestLatencyMicroseconds, max(1, nanoseconds / 1000)))
    }

    mutating func recordError(_ error: any Error) {
        errors[Self.key(for: error), default: 0] += 1
    }

    /// The ``LoadReport/errors`` key of an error.
    static func key(for error: any Error) -> String {
        switch error {
        case let error as ProtooError:
            switch error.kind {
            case .rejected(let code, _): return String(code)
            case .requestTimeout: return "timeout"
            case .peerClosed: return "closed"
            }
        case let error as ProtooClientError:
            switch error.kind {
            case .notConnected: return "notConnected"
            case .closed: return "clientClosed"
            case .invalidURL: return "invalidURL"
            }
        default:
            return "other"
        }
    }

    /// `true` for errors after which the peer cannot send any more (no retry on it).
    static func peerIsGone(after error: any Error) -> Bool {
        if error is ProtooClientError { return true }
        return (error as? ProtooError) == .peerClosed
    }

    mutating func merge(_ other: LoadStatistics) {
        issued += other.issued
        completed += other.completed
        errors.merge(other.errors, uniquingKeysWith: +)
        droppedArrivals += other.droppedArrivals
        unfinished += other.unfinished
        startNanoseconds = startNanoseconds == 0 ? other.startNanoseconds : min(startNanoseconds, other.startNanoseconds)
        endNanoseconds = max(endNanoseconds, other.endNanoseconds)
        latency.add(other.latency)
    }

    /// The percentiles, in microseconds.
    var latencySummary: LoadReport.Latency { LoadReport.Latency(latency) }
}
