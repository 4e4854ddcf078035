#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A growable byte buffer that keeps its storage: once warm, appends never reallocate.
/// Not thread-safe; each writer or reader owns its own.
final class ByteStore {
    private(set) var base: UnsafeMutablePointer<UInt8>
    var count = 0
    private(set) var capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// Free space after `count`.
    var spare: Int { capacity - count }

    /// Makes room for `extra` more bytes.
    @inline(__always) func reserve(_ extra: Int) {
        if count + extra > capacity { grow(to: count + extra) }
    }

    private func grow(to needed: Int) {
        var newCapacity = capacity
        while newCapacity < needed { newCapacity *= 2 }
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    @inline(__always) func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    @inline(__always) func appendVarint(_ value: UInt64) {
        reserve(10)
        var v = value
        while v >= 0x80 {
            base[count] = UInt8(truncatingIfNeeded: v) | 0x80
            count += 1
            v >>= 7
        }
        base[count] = UInt8(v)
        count += 1
    }

    @inline(__always) func appendSignedVarint(_ value: Int64) {
        appendVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    func append(_ bytes: UnsafeRawBufferPointer) {
        guard let src = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        (base + count).update(from: src.assumingMemoryBound(to: UInt8.self), count: bytes.count)
        count += bytes.count
    }

    /// Reserves `n` bytes, lets `body` fill them through a raw pointer, and counts them: one
    /// capacity check and one update of `count` for a whole record.
    @inline(__always) func appendRaw(_ n: Int, _ body: (UnsafeMutableRawPointer) -> Void) {
        reserve(n)
        body(UnsafeMutableRawPointer(base + count))
        count += n
    }

    /// Appends a varint length then the UTF-8 bytes.
    @inline(__always) func appendString(_ string: String) {
        var s = string
        s.withUTF8 { u in
            appendVarint(UInt64(u.count))
            append(UnsafeRawBufferPointer(u))
        }
    }

    /// Appends the UTF-8 bytes, no length.
    func appendUTF8(_ string: String) {
        var s = string
        s.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    func appendLE32(_ value: UInt32) {
        reserve(4)
        withUnsafeBytes(of: value.littleEndian) { (base + count).update(from: $0.baseAddress!.assumingMemoryBound(to: UInt8.self), count: 4) }
        count += 4
    }

    func appendLE64(_ value: UInt64) {
        reserve(8)
        withUnsafeBytes(of: value.littleEndian) { (base + count).update(from: $0.baseAddress!.assumingMemoryBound(to: UInt8.self), count: 8) }
        count += 8
    }

    /// Overwrites 4 bytes at `offset`.
    func setLE32(_ value: UInt32, at offset: Int) {
        precondition(offset + 4 <= count)
        withUnsafeBytes(of: value.littleEndian) { (base + offset).update(from: $0.baseAddress!.assumingMemoryBound(to: UInt8.self), count: 4) }
    }

    /// Drops the first `n` bytes, moving the rest to the front.
    func removeFirst(_ n: Int) {
        precondition(n <= count)
        if n < count { memmove(base, base + n, count - n) }
        count -= n
    }

    func removeAll() { count = 0 }

    /// The bytes in `range`, as a read-only view valid until the next mutation.
    func bytes(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count)
    }

    var all: UnsafeRawBufferPointer { bytes(0..<count) }
}

/// `withUnsafeBytes` for a typed-throws body (the standard one rethrows `any Error`).
func withBytes<R>(_ array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(TraceError) -> R) throws(TraceError) -> R {
    let result: Result<R, TraceError> = array.withUnsafeBytes { p in Result { () throws(TraceError) -> R in try body(p) } }
    return try result.get()
}
