/// A small, fast, seedable generator (xoshiro256** seeded through SplitMix64).
///
/// The engine draws every random number (request ids above all) from one of these, owned by its
/// ``EngineContext``: the same seed and the same inputs give the same ids.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    @usableFromInline var s0, s1, s2, s3: UInt64

    public init(seed: UInt64) {
        var sm = seed
        func splitmix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitmix(&sm); s1 = splitmix(&sm); s2 = splitmix(&sm); s3 = splitmix(&sm)
    }

    /// A generator seeded from the system's entropy (production servers).
    public static func fromSystemEntropy() -> SeededRandom {
        var system = SystemRandomNumberGenerator()
        return SeededRandom(seed: system.next())
    }

    // Inlinable (with `rotl` and `nextUnit`): drawn for every simulated message, from other modules.
    @inlinable @inline(__always)
    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    @inlinable @inline(__always) func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// A protoo request id: uniform in 0...10,000,000, like `Math.round(Math.random() * 1e7)`.
    public mutating func nextRequestID() -> RequestID {
        Int(next(upperBound: UInt64(10_000_001)))
    }

    /// A double in [0, 1).
    @inlinable
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// `length` characters of `a`–`z` and `0`–`9` (the simulator's peer ids, the conference app's).
    public mutating func alphanumericID(length: Int) -> String {
        let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<length).map { _ in letters[Int(next(upperBound: UInt64(letters.count)))] })
    }
}
