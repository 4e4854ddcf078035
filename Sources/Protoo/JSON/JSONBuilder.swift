/// Writes JSON text straight into bytes, without building a ``JSONValue`` tree first: for payloads
/// sent often (periodic notifications, fan-out), whose shape is fixed and whose values change.
///
/// The builder does not check structure: `raw` fragments are trusted, and the caller places the
/// commas, colons and brackets. Values written with ``string(_:)``, ``int(_:)``, ``value(_:)``
/// are encoded exactly as ``JSONWriter`` encodes them, so a builder that mirrors a `JSONValue`
/// literal produces the same bytes.
///
///     var b = JSONBuilder()
///     b.raw("{\"desiredBitrate\":"); b.int(desired); b.raw("}")
///     peer.notify("downlinkBwe", JSONText(unchecked: b))
public struct JSONBuilder {
    /// The text written so far.
    public var bytes: [UInt8]

    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Starts from `bytes` (kept, with their capacity).
    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// Appends a trusted JSON fragment (punctuation, keys, constant values) as is.
    @inlinable
    public mutating func raw(_ fragment: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: fragment.utf8Start, count: fragment.utf8CodeUnitCount))
    }

    /// Appends already encoded JSON text as is.
    public mutating func raw(_ text: JSONText) { bytes.append(contentsOf: text.bytes) }

    /// Appends a string value, quoted and escaped like ``JSONWriter``.
    public mutating func string(_ s: String) { JSONWriter.writeString(s, into: &bytes) }

    public mutating func int(_ i: Int64) { JSONWriter.writeInt(i, into: &bytes) }
    public mutating func int(_ i: Int) { JSONWriter.writeInt(Int64(i), into: &bytes) }

    public mutating func bool(_ b: Bool) {
        if b { raw("true") } else { raw("false") }
    }

    /// Appends any value through ``JSONWriter``.
    public mutating func value(_ v: JSONValue) { JSONWriter.write(v, into: &bytes) }
}

/// JSON text ready to send: encoded once from a ``JSONValue`` (reused many times) or written by a
/// ``JSONBuilder``. ``Peer/notify(_:_:)-(String,JSONText)``, ``Peer/request(_:_:completion:)-(String,JSONText,_)``
/// and ``IncomingRequest/accept(_:)-(JSONText)`` splice it into the message without re-encoding.
public struct JSONText: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    /// The compact encoding of `value`.
    public init(_ value: JSONValue) {
        var out: [UInt8] = []
        JSONWriter.write(value, into: &out)
        bytes = out
    }

    /// The builder's bytes, trusted to be one JSON value.
    public init(unchecked builder: JSONBuilder) { bytes = builder.bytes }

    /// The text, checked to be one JSON value.
    public init(validating text: String) throws(JSONParseError) {
        _ = try JSONParser.parse(text)
        bytes = Array(text.utf8)
    }

    /// The value, parsed.
    public var value: JSONValue {
        bytes.withUnsafeBufferPointer { (try? JSONParser.parse(bytes: $0)) ?? .null }
    }

    public var description: String { String(decoding: bytes, as: UTF8.self) }
}

/// Word-at-a-time scanning for the string fast paths (SWAR): which of 8 bytes need attention
/// inside a JSON string (`"`, `\` or a control character below 0x20).
enum JSONScan {
    /// A mask with the high bit set in each byte of `w` that is `"`, `\` or below 0x20 (bytes in
    /// little-endian order). Bits above the lowest set one may be spurious (a borrow carries into
    /// the next byte), so only the lowest one locates a byte: see ``firstSpecial(_:from:count:)``.
    @inline(__always)
    static func attentionMask(_ w: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        // A byte below 0x20: (w − 0x20…) & ~w & 0x80… is non-zero iff some byte < 0x20.
        let below = (w &- ones &* 0x20) & ~w & highs
        let q = w ^ (ones &* 0x22)
        let quote = (q &- ones) & ~q & highs
        let b = w ^ (ones &* 0x5C)
        let backslash = (b &- ones) & ~b & highs
        return below | quote | backslash
    }

    /// The index of the first byte from `start` that is `"`, `\` or below 0x20, or `count`.
    @inline(__always)
    static func firstSpecial(_ base: UnsafePointer<UInt8>, from start: Int, count: Int) -> Int {
        var i = start
        while i + 8 <= count {
            let mask = attentionMask(UInt64(littleEndian: UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)))
            // The lowest flagged byte is exact (no borrow reaches it from below).
            if mask != 0 { return i + mask.trailingZeroBitCount >> 3 }
            i += 8
        }
        while i < count {
            let c = base[i]
            if c < 0x20 || c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") { return i }
            i += 1
        }
        return count
    }
}
