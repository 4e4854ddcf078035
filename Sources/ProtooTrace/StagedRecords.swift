/// Records as ``TraceRecorder``'s producers hand them to its writer thread: already encoded into a
/// shared byte buffer. The writer copies bytes; it never takes ownership of (and so never frees) a
/// producer's strings, which would push the event loop's allocator onto its slow, cross-thread path.
///
/// Layout of one staged record: kind (1 byte), time (8, little-endian), connection (8, LE),
/// body length (4, LE), then the body exactly as ``RecordCoding/encodeBody(_:into:)`` writes it.
enum StagedRecords {
    static let headerSize = 21

    /// Appends one record; `body` writes its fields.
    @inline(__always)
    static func append(kind: TraceRecordKind, time: Int64, connection: UInt64, to store: ByteStore,
                       body: (ByteStore) -> Void) {
        let start = store.count
        store.append(kind.rawValue)
        store.appendLE64(UInt64(bitPattern: time))
        store.appendLE64(connection)
        store.appendLE32(0)
        body(store)
        store.setLE32(UInt32(store.count - start - headerSize), at: start + 17)
    }

    /// The staged size of a message record whose text has `utf8Count` bytes.
    @inline(__always)
    static func messageSize(_ utf8Count: Int) -> Int {
        var lengthBytes = 1
        var v = UInt64(utf8Count)
        while v >= 0x80 { v >>= 7; lengthBytes += 1 }
        return headerSize + lengthBytes + utf8Count
    }

    /// Appends a message record (`messageIn`/`messageOut`), given as its UTF-8, in one reserved
    /// write: the hot path, two per request.
    @inline(__always)
    static func appendMessage(kind: TraceRecordKind, time: Int64, connection: UInt64, utf8: UnsafeRawBufferPointer, to store: ByteStore) {
        let n = utf8.count
        var lengthBytes = 1
        var v = UInt64(n)
        while v >= 0x80 { v >>= 7; lengthBytes += 1 }
        let body = lengthBytes + n
        store.appendRaw(headerSize + body) { p in
            p.storeBytes(of: kind.rawValue, as: UInt8.self)
            p.storeBytes(of: UInt64(bitPattern: time).littleEndian, toByteOffset: 1, as: UInt64.self)
            p.storeBytes(of: connection.littleEndian, toByteOffset: 9, as: UInt64.self)
            p.storeBytes(of: UInt32(body).littleEndian, toByteOffset: 17, as: UInt32.self)
            var q = p + headerSize
            var length = UInt64(n)
            while length >= 0x80 {
                q.storeBytes(of: UInt8(truncatingIfNeeded: length) | 0x80, as: UInt8.self)
                q += 1
                length >>= 7
            }
            q.storeBytes(of: UInt8(length), as: UInt8.self)
            if let src = utf8.baseAddress, n > 0 { (q + 1).copyMemory(from: src, byteCount: n) }
        }
    }

    /// Calls `body` with each staged record in `store`, in order.
    static func forEach(in store: ByteStore,
                        _ body: (TraceRecordKind, Int64, UInt64, UnsafeRawBufferPointer) throws(TraceError) -> Void) throws(TraceError) {
        let all = store.all
        var offset = 0
        while offset + headerSize <= all.count {
            let kind = TraceRecordKind(rawValue: all[offset])!  // staged by `append` from a valid kind
            let time = Int64(bitPattern: UInt64(littleEndian: all.loadUnaligned(fromByteOffset: offset + 1, as: UInt64.self)))
            let connection = UInt64(littleEndian: all.loadUnaligned(fromByteOffset: offset + 9, as: UInt64.self))
            let length = Int(UInt32(littleEndian: all.loadUnaligned(fromByteOffset: offset + 17, as: UInt32.self)))
            let bodyStart = offset + headerSize
            try body(kind, time, connection, UnsafeRawBufferPointer(rebasing: all[bodyStart..<bodyStart + length]))
            offset = bodyStart + length
        }
    }
}
