import Protoo

/// The run's independent random streams: each is seeded from the run's seed, what it is for
/// and a stable key (a client, a room, a client's n-th connection), never from another stream's
/// position. Removing a client or a fault therefore shifts no other draw.
package enum RandomStream: UInt64 {
    case peerID = 0x5045_4552
    case arrival = 0x4152_5256
    case answers = 0x414E_5357
    case faults = 0x4641_554C
    case partition = 0x5041_5254
    case latency = 0x4C41_5445
    case client = 0x434C_4E54
    case serverCrash = 0x4352_5348
    case server = 0x5352_5652
    case balancer = 0x4241_4C4E
    /// A real connection's injected latency jitter (`protoo load --scenario`).
    case linkJitter = 0x4A49_5454

    /// The seed of this stream for key (`a`, `b`, `c`) in a run seeded `seed`.
    package func seed(_ seed: UInt64, _ a: Int, _ b: Int = 0, _ c: Int = 0) -> UInt64 {
        var h = seed ^ (rawValue &* 0x9E37_79B9_7F4A_7C15)
        for part in [UInt64(bitPattern: Int64(a)), UInt64(bitPattern: Int64(b)), UInt64(bitPattern: Int64(c))] {
            h = Self.mix(h ^ Self.mix(part &+ 0x632B_E59B_D9B4_E019))
        }
        return h
    }

    /// This stream for key (`a`, `b`, `c`).
    package func random(_ seed: UInt64, _ a: Int, _ b: Int = 0, _ c: Int = 0) -> SeededRandom {
        SeededRandom(seed: self.seed(seed, a, b, c))
    }

    /// SplitMix64's finaliser: every input bit reaches every output bit.
    package static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
