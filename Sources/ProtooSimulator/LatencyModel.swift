import Protoo

/// One-way delay of a link: `base` plus a random part drawn from a distribution.
public struct LatencyModel: Sendable, Hashable {
    public enum Distribution: Sendable, Hashable {
        case constant
        /// Uniform in 0...spread.
        case uniform(spread: Duration)
        /// Exponential with this mean.
        case exponential(mean: Duration)
    }

    public var base: Duration
    public var distribution: Distribution
    /// Link bandwidth in bytes per second; `nil` means unlimited.
    public var bytesPerSecond: Int?

    public init(base: Duration, distribution: Distribution = .constant, bytesPerSecond: Int? = nil) {
        self.base = base
        self.distribution = distribution
        self.bytesPerSecond = bytesPerSecond
    }

    /// 20 ms plus an exponential 10 ms mean: a typical broadband path.
    public static let broadband = LatencyModel(base: .milliseconds(20), distribution: .exponential(mean: .milliseconds(10)))
    /// No delay at all (messages still arrive on a later turn of the scheduler).
    public static let zero = LatencyModel(base: .zero)

    /// Draws one delay in nanoseconds.
    public func sample(_ random: inout SeededRandom) -> Int64 {
        let b = base.nanoseconds
        switch distribution {
        case .constant: return b
        case .uniform(let spread):
            let s = spread.nanoseconds
            return s > 0 ? b + Int64(random.next(upperBound: UInt64(s) + 1)) : b
        case .exponential(let mean):
            let u = random.nextUnit()
            return b + Int64(PortableMath.exponential(mean: Double(mean.nanoseconds), u: u))
        }
    }
}

