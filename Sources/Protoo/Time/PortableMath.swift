/// Math the simulator's randomness goes through, written with IEEE-754 basic operations only, so
/// that a seed gives the same numbers on every machine and libm (a platform `log` may differ in
/// its last bit, which would change delays and so the whole event log).
public enum PortableMath {
    /// The natural logarithm of a positive finite `x` (relative error below 1e-15).
    // Inlinable: the simulator's latency model calls it for every message, from another module.
    @inlinable
    public static func log(_ x: Double) -> Double {
        guard x > 0, x.isFinite else { return x == 0 ? -.infinity : .nan }
        // x = m × 2^e with m in [√½, √2): exact operations, and no cancellation near x = 1.
        var e = Double(x.exponent)
        var m = x.significand
        if m > 1.414_213_562_373_095 {
            m /= 2
            e += 1
        }
        // ln(m) = 2 atanh(t) = 2 (t + t³/3 + t⁵/5 + …), t = (m − 1)/(m + 1) in (−0.172, 0.172):
        // eleven terms (the next is below 1e-17 of the sum), by Horner's rule with the
        // coefficients as constants (multiplications only; a division costs ten times more, and
        // this runs for every simulated message).
        let t = (m - 1) / (m + 1)
        let t2 = t * t
        var p = 1.0 / 21
        p = p * t2 + 1.0 / 19
        p = p * t2 + 1.0 / 17
        p = p * t2 + 1.0 / 15
        p = p * t2 + 1.0 / 13
        p = p * t2 + 1.0 / 11
        p = p * t2 + 1.0 / 9
        p = p * t2 + 1.0 / 7
        p = p * t2 + 1.0 / 5
        p = p * t2 + 1.0 / 3
        p = p * t2 + 1
        let sum = t * p
        return e * 0.693_147_180_559_945_3 + 2 * sum
    }

    /// A sample of an exponential distribution with this mean, from a uniform `u` in [0, 1).
    @inlinable
    public static func exponential(mean: Double, u: Double) -> Double {
        -mean * log(1 - u)
    }
}
