/// A 128-bit digest of an event stream (two FNV-1a-64 lanes with different seeds).
/// Not cryptographic: it tells whether two runs saw byte-identical events.
public struct EventDigest: Sendable, Hashable {
    private var a: UInt64 = 0xCBF2_9CE4_8422_2325
    private var b: UInt64 = 0x6C62_272E_07BB_0142

    /// The digest of no events.
    public init() {}

    @inline(__always) mutating func byte(_ x: UInt8) {
        a = (a ^ UInt64(x)) &* 0x0000_0100_0000_01B3
        b = (b ^ UInt64(x)) &* 0x0000_0100_0000_01B3 ^ (b >> 29)
    }

    /// Mixes a number.
    public mutating func add(_ x: UInt64) { word(x) }

    /// Mixes one 64-bit word (a multiply-xorshift step per lane).
    @inline(__always) mutating func word(_ w: UInt64) {
        a = (a ^ w) &* 0x0000_0100_0000_01B3
        a ^= a >> 32
        b = (b ^ w) &* 0x9E37_79B9_7F4A_7C15
        b ^= b >> 29
    }

    /// Mixes a string's UTF-8 bytes.
    public mutating func add(_ s: String) {
        // Native strings are read in place (no copy, no retain); others are copied once.
        if let done: Void = s.utf8.withContiguousStorageIfAvailable({ add(bytes: UnsafeRawBufferPointer($0)) }) { return done }
        var copy = s
        copy.withUTF8 { add(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Mixes a byte string (the same as ``add(_:)-(String)`` of its text).
    @inline(__always) mutating func add(bytes raw: UnsafeRawBufferPointer) {
        var i = 0
        while i + 8 <= raw.count {
            word(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < raw.count {
            tail |= UInt64(raw[i]) << shift
            shift += 8
            i += 1
        }
        word(tail ^ (UInt64(raw.count) << 56))
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
