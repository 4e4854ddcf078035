import Protoo

/// One-way delay of a link: `base` plus a random part drawn from a distribution, per message,
/// from the run's seed. A link stays FIFO (WebSocket rides TCP) whatever is drawn.
///
/// ```swift
/// configuration.latency = LatencyModel(base: .milliseconds(30), distribution: .uniform(spread: .milliseconds(20)))
/// ```
public struct LatencyModel: Sendable, Hashable {
    /// The random part of the delay.
    public enum Distribution: Sendable, Hashable {
        /// None: always `base`.
        case constant
        /// Uniform in 0...spread.
        case uniform(spread: Duration)
        /// Exponential with this mean.
        case exponential(mean: Duration)
    }

    /// The fixed part of every delay.
    public var base: Duration {
        didSet { baseNanoseconds = base.nanoseconds }
    }
    /// The random part, added to ``base``.
    public var distribution: Distribution {
        didSet { spreadNanoseconds = Self.nanoseconds(of: distribution) }
    }
    /// Link bandwidth in bytes per second, each direction (a message also waits for the ones
    /// ahead of it to be transmitted); `nil` means unlimited.
    public var bytesPerSecond: Int?
    /// `base` and the distribution's spread or mean in nanoseconds, kept with them: `sample` runs
    /// for every simulated message, and converting a `Duration` divides 128-bit attoseconds.
    private var baseNanoseconds: Int64
    private var spreadNanoseconds: Int64

    /// A delay of `base` plus a draw from `distribution`, on links of `bytesPerSecond` (`nil`:
    /// unlimited).
    public init(base: Duration, distribution: Distribution = .constant, bytesPerSecond: Int? = nil) {
        self.base = base
        self.distribution = distribution
        self.bytesPerSecond = bytesPerSecond
        baseNanoseconds = base.nanoseconds
        spreadNanoseconds = Self.nanoseconds(of: distribution)
    }

    private static func nanoseconds(of distribution: Distribution) -> Int64 {
        switch distribution {
        case .constant: return 0
        case .uniform(let spread): return spread.nanoseconds
        case .exponential(let mean): return mean.nanoseconds
        }
    }

    /// 20 ms plus an exponential 10 ms mean: a typical broadband path.
    public static let broadband = LatencyModel(base: .milliseconds(20), distribution: .exponential(mean: .milliseconds(10)))
    /// No delay at all (messages still arrive on a later turn of the scheduler).
    public static let zero = LatencyModel(base: .zero)

    /// Draws one delay in nanoseconds.
    public func sample(_ random: inout SeededRandom) -> Int64 {
        let b = baseNanoseconds
        switch distribution {
        case .constant: return b
        case .uniform:
            let s = spreadNanoseconds
            return s > 0 ? b + Int64(random.next(upperBound: UInt64(s) + 1)) : b
        case .exponential:
            let u = random.nextUnit()
            return b + Int64(PortableMath.exponential(mean: Double(spreadNanoseconds), u: u))
        }
    }
}

