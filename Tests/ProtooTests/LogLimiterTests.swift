import Protoo
import Testing

/// The log limiter on injected time: a burst per kind, then one line per interval carrying the
/// count of those dropped, and a closing summary.
struct LogLimiterTests {
    static func at(_ ms: Int64) -> Instant { Instant(nanoseconds: ms * 1_000_000) }

    @Test func burstThenOneLinePerIntervalWithTheDroppedCount() {
        var limiter = LogLimiter<String>(burst: 3, interval: .seconds(10))
        let first = (0..<3).map { limiter.admit("a", at: Self.at(Int64($0))) }
        #expect(first == [.log(suppressed: 0), .log(suppressed: 0), .log(suppressed: 0)])
        // 100 more inside the interval after the last logged line (at 2 ms): all dropped.
        #expect((0..<100).map { limiter.admit("a", at: Self.at(100 + Int64($0))) }.allSatisfy { $0 == .suppress })
        #expect(limiter.admit("a", at: Self.at(10_001)) == .suppress)
        #expect(limiter.admit("a", at: Self.at(10_002)) == .log(suppressed: 101))
        #expect(limiter.admit("a", at: Self.at(10_003)) == .suppress)
        #expect(limiter.admit("a", at: Self.at(20_002)) == .log(suppressed: 1))
    }

    @Test func kindsAreLimitedSeparately() {
        var limiter = LogLimiter<Int>(burst: 1, interval: .seconds(1))
        #expect(limiter.admit(1, at: .zero) == .log(suppressed: 0))
        #expect(limiter.admit(1, at: .zero) == .suppress)
        #expect(limiter.admit(2, at: .zero) == .log(suppressed: 0))
        #expect(limiter.admit(2, at: .zero) == .suppress)
        #expect(limiter.admit(2, at: .zero) == .suppress)
    }

    @Test func takeSuppressedReportsAndResetsInFirstUseOrder() {
        var limiter = LogLimiter<String>(burst: 1, interval: .seconds(60))
        for kind in ["b", "a", "b", "a", "a", "c"] { _ = limiter.admit(kind, at: .zero) }
        let taken = limiter.takeSuppressed()
        #expect(taken.map(\.kind) == ["b", "a"])
        #expect(taken.map(\.count) == [1, 2])
        #expect(limiter.takeSuppressed().isEmpty)
        // After a summary the next line still waits for the interval.
        #expect(limiter.admit("a", at: Self.at(1)) == .suppress)
        #expect(limiter.admit("a", at: Self.at(60_000)) == .log(suppressed: 1))
    }
}
