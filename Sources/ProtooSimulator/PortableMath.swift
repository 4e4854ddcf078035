/// Math the simulator's randomness goes through, written with IEEE-754 basic operations only, so
/// that a seed gives the same numbers on every machine and libm (a platform `log` may differ in
/// its last bit, which would change delays and so the whole event log).
enum PortableMath {
    /// The natural logarithm of a positive finite `x` (relative error below 1e-15).
    static func log(_ x: Double) -> Double {
        guard x > 0, x.isFinite else { return x == 0 ? -.infinity : .nan }
        // x = m × 2^e with m in [√½, √2): exact operations, and no cancellation near x = 1.
        var e = Double(x.exponent)
        var m = x.significand
        if m > 1.414_213_562_373_095 {
            m /= 2
            e += 1
        }
        // ln(m) = 2 atanh(t), t = (m − 1)/(m + 1) in (−0.172, 0.172).
        let t = (m - 1) / (m + 1)
        let t2 = t * t
        var term = t
        var sum = 0.0
        var n = 1.0
        for _ in 0..<20 {
            sum += term / n
            term *= t2
            n += 2
        }
        return e * 0.693_147_180_559_945_3 + 2 * sum
    }

    /// A sample of an exponential distribution with this mean, from a uniform `u` in [0, 1).
    static func exponential(mean: Double, u: Double) -> Double {
        -mean * log(1 - u)
    }
}
