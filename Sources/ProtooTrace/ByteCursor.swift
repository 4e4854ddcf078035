/// Reads the binary encoding from a region of memory; every read is bounds-checked and a
/// malformed value throws instead of trapping.
struct ByteCursor {
    let base: UnsafePointer<UInt8>
    var position: Int
    let end: Int

    init(_ bytes: UnsafeRawBufferPointer) {
        base = bytes.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) } ?? UnsafePointer(bitPattern: 1)!  // a non-null placeholder for an empty buffer, never read
        position = 0
        end = bytes.count
    }

    init(base: UnsafePointer<UInt8>, position: Int, end: Int) {
        self.base = base
        self.position = position
        self.end = end
    }

    var remaining: Int { end - position }

    @inline(__always) mutating func byte() throws(CursorError) -> UInt8 {
        guard position < end else { throw CursorError(position: position, reason: "unexpected end of data") }
        let b = base[position]
        position += 1
        return b
    }

    @inline(__always) mutating func varint() throws(CursorError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else { throw CursorError(position: position, reason: "varint runs past the end") }
            let b = base[position]
            position += 1
            if shift == 63 && b > 1 { throw CursorError(position: position - 1, reason: "varint overflows 64 bits") }
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
            if shift > 63 { throw CursorError(position: position - 1, reason: "varint too long") }
        }
    }

    @inline(__always) mutating func signedVarint() throws(CursorError) -> Int64 {
        let u = try varint()
        return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }

    mutating func string() throws(CursorError) -> String {
        String(decoding: try stringBytes(), as: UTF8.self)
    }

    /// A string's bytes, in place (not validated as UTF-8).
    @inline(__always) mutating func stringBytes() throws(CursorError) -> UnsafeBufferPointer<UInt8> {
        let n = try varint()
        guard n <= UInt64(remaining) else { throw CursorError(position: position, reason: "string length \(n) exceeds the data") }
        let bytes = UnsafeBufferPointer(start: base + position, count: Int(n))
        position += Int(n)
        return bytes
    }

    mutating func le32() throws(CursorError) -> UInt32 {
        guard remaining >= 4 else { throw CursorError(position: position, reason: "unexpected end of data") }
        let v = UnsafeRawPointer(base + position).loadUnaligned(as: UInt32.self)
        position += 4
        return UInt32(littleEndian: v)
    }

    mutating func le64() throws(CursorError) -> UInt64 {
        guard remaining >= 8 else { throw CursorError(position: position, reason: "unexpected end of data") }
        let v = UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self)
        position += 8
        return UInt64(littleEndian: v)
    }
}

/// A decoding failure at a position inside the region a ``ByteCursor`` reads.
struct CursorError: Error {
    var position: Int
    var reason: String
}
