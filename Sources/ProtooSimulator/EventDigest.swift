/// A 128-bit digest of an event stream (two FNV-1a-64 lanes with different seeds).
/// Not cryptographic: it tells whether two runs saw byte-identical events.
public struct EventDigest: Sendable, Hashable {
    private var a: UInt64 = 0xCBF2_9CE4_8422_2325
    private var b: UInt64 = 0x6C62_272E_07BB_0142

    public init() {}

    @inline(__always) mutating func byte(_ x: UInt8) {
        a = (a ^ UInt64(x)) &* 0x0000_0100_0000_01B3
        b = (b ^ UInt64(x)) &* 0x0000_0100_0000_01B3 ^ (b >> 29)
    }

    public mutating func add(_ x: UInt64) {
        var v = x
        for _ in 0..<8 { byte(UInt8(truncatingIfNeeded: v)); v >>= 8 }
    }

    public mutating func add(_ s: String) {
        var s = s
        s.withUTF8 { for x in $0 { byte(x) } }
        byte(0xFF)
    }

    /// 32 lowercase hex digits.
    public var hex: String {
        func h(_ v: UInt64) -> String {
            let s = String(v, radix: 16)
            return String(repeating: "0", count: 16 - s.count) + s
        }
        return h(a) + h(b)
    }
}
