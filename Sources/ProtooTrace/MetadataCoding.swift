import Protoo

/// Encodes and decodes the skippable frames that carry the header, index entries, trailer and footer.
/// Every payload ends with a CRC-32C of the bytes before it.
enum MetadataCoding {
    // MARK: frames

    /// Appends a skippable frame with `payload` (CRC appended here).
    static func appendFrame(magic: UInt32, payload: ByteStore, to out: ByteStore) {
        let crc = CRC32C.checksum(payload.all)
        out.appendLE32(magic)
        out.appendLE32(UInt32(payload.count + 4))
        out.append(payload.all)
        out.appendLE32(crc)
    }

    /// Checks a payload's trailing CRC and returns a cursor over the rest.
    static func verified(_ payload: UnsafeRawBufferPointer, offset: Int64, what: String) throws(TraceError) -> ByteCursor {
        guard payload.count >= 8 else { throw TraceError.corrupt(offset: offset, reason: "\(what) is too short") }
        let body = UnsafeRawBufferPointer(rebasing: payload[0..<(payload.count - 4)])
        let stored = UInt32(littleEndian: payload.loadUnaligned(fromByteOffset: payload.count - 4, as: UInt32.self))
        guard CRC32C.checksum(body) == stored else { throw TraceError.corrupt(offset: offset, reason: "\(what) checksum mismatch") }
        return ByteCursor(body)
    }

    static func expectTag(_ cursor: inout ByteCursor, _ tag: [UInt8], offset: Int64, what: String) throws(TraceError) {
        for b in tag {
            guard (try? cursor.byte()) == b else { throw TraceError.corrupt(offset: offset, reason: "\(what) has a bad tag") }
        }
    }

    // MARK: header

    /// `frameHeader`: the zstd frame header bytes every data frame starts with (flags bit 2; readers
    /// that predate it ignore the bit and the bytes after the seed).
    static func encodeHeader(_ h: TraceHeader, frameHeader: [UInt8]? = nil, into out: ByteStore) {
        let p = ByteStore(capacity: 256)
        for b in TraceFormat.headerTag { p.append(b) }
        p.append(UInt8(h.formatVersion & 0xFF))
        p.append(UInt8(h.formatVersion >> 8))
        p.appendLE64(UInt64(bitPattern: h.createdAtUnixNanoseconds))
        p.appendLE64(UInt64(bitPattern: h.monotonicOrigin.nanoseconds))
        p.appendString(h.producerName)
        p.appendString(h.producerVersion)
        p.appendString(h.host)
        p.append((h.scenario != nil ? 1 : 0) | (h.seed != nil ? 2 : 0) | (frameHeader?.count == 2 ? 4 : 0))
        if let s = h.scenario { p.appendString(s) }
        if let s = h.seed { p.appendLE64(s) }
        if let f = frameHeader, f.count == 2 { p.append(f[0]); p.append(f[1]) }
        appendFrame(magic: TraceFormat.headerMagic, payload: p, to: out)
    }

    /// Decodes a header payload (the bytes after the 8-byte frame header). `offset` is the payload's file offset.
    static func decodeHeader(_ payload: UnsafeRawBufferPointer, offset: Int64, path: String) throws(TraceError) -> TraceHeader {
        try decodeHeaderAndFrameHeader(payload, offset: offset, path: path).header
    }

    /// The header and, when the writer recorded them, the zstd frame header bytes of its data frames.
    static func decodeHeaderAndFrameHeader(_ payload: UnsafeRawBufferPointer, offset: Int64,
                                           path: String) throws(TraceError) -> (header: TraceHeader, frameHeader: [UInt8]?) {
        // Check tag and version before the CRC so a newer format gets its own error.
        guard payload.count >= 6, Array(payload[0..<4]) == TraceFormat.headerTag else { throw TraceError.notATrace(path: path) }
        var c = try verified(payload, offset: offset, what: "header")
        do {
            c.position = 4
            let version = UInt16(try c.byte()) | UInt16(try c.byte()) << 8
            guard version <= TraceHeader.currentFormatVersion else { throw TraceError.unsupportedVersion(version) }
            let created = Int64(bitPattern: try c.le64())
            let origin = Int64(bitPattern: try c.le64())
            let name = try c.string(), version2 = try c.string(), host = try c.string()
            let flags = try c.byte()
            let scenario = flags & 1 != 0 ? try c.string() : nil
            let seed = flags & 2 != 0 ? try c.le64() : nil
            let frameHeader = flags & 4 != 0 ? [try c.byte(), try c.byte()] : nil
            return (TraceHeader(createdAtUnixNanoseconds: created, monotonicOrigin: Instant(nanoseconds: origin),
                                producerName: name, producerVersion: version2, host: host,
                                scenario: scenario, seed: seed, formatVersion: version), frameHeader)
        } catch let e as CursorError {
            throw TraceError.corrupt(offset: offset + Int64(e.position), reason: "header: \(e.reason)")
        } catch let e as TraceError {
            throw e
        } catch {
            throw TraceError.corrupt(offset: offset, reason: "header: \(error)")
        }
    }

    // MARK: index

    static func encodeIndex(_ e: TraceIndexEntry, into out: ByteStore) {
        let p = ByteStore(capacity: 64)
        for b in TraceFormat.indexTag { p.append(b) }
        p.appendLE64(UInt64(bitPattern: e.frameOffset))
        p.appendLE64(UInt64(bitPattern: e.frameLength))
        p.appendLE64(UInt64(bitPattern: e.firstTime))
        p.appendLE64(UInt64(bitPattern: e.lastTime))
        p.appendLE64(e.recordCount)
        appendFrame(magic: TraceFormat.indexMagic, payload: p, to: out)
    }

    static func decodeIndex(_ payload: UnsafeRawBufferPointer, offset: Int64) throws(TraceError) -> TraceIndexEntry {
        guard payload.count == TraceFormat.indexPayloadSize else {
            throw TraceError.corrupt(offset: offset, reason: "index entry has size \(payload.count)")
        }
        var c = try verified(payload, offset: offset, what: "index entry")
        try expectTag(&c, TraceFormat.indexTag, offset: offset, what: "index entry")
        do throws(CursorError) {
            return TraceIndexEntry(frameOffset: Int64(bitPattern: try c.le64()), frameLength: Int64(bitPattern: try c.le64()),
                                   firstTime: Int64(bitPattern: try c.le64()), lastTime: Int64(bitPattern: try c.le64()),
                                   recordCount: try c.le64())
        } catch {
            throw TraceError.corrupt(offset: offset + Int64(error.position), reason: "index entry: \(error.reason)")
        }
    }

    // MARK: trailer

    static func encodeTrailer(_ t: TraceTrailer, into out: ByteStore) {
        let p = ByteStore(capacity: 256 + t.index.count * 48)
        for b in TraceFormat.trailerTag { p.append(b) }
        p.appendVarint(UInt64(TraceRecordKind.allCases.count))
        for k in TraceRecordKind.allCases {
            p.append(k.rawValue)
            p.appendVarint(t.recordCounts[k] ?? 0)
        }
        p.appendVarint(t.droppedRecords)
        p.appendSignedVarint(t.endTime)
        p.appendVarint(t.rawBytes)
        p.appendVarint(UInt64(t.index.count))
        for e in t.index {
            p.appendVarint(UInt64(bitPattern: e.frameOffset))
            p.appendVarint(UInt64(bitPattern: e.frameLength))
            p.appendSignedVarint(e.firstTime)
            p.appendSignedVarint(e.lastTime)
            p.appendVarint(e.recordCount)
        }
        TrailerExtensions.encode(t, into: p)
        appendFrame(magic: TraceFormat.trailerMagic, payload: p, to: out)
    }

    static func decodeTrailer(_ payload: UnsafeRawBufferPointer, offset: Int64) throws(TraceError) -> TraceTrailer {
        var c = try verified(payload, offset: offset, what: "trailer")
        try expectTag(&c, TraceFormat.trailerTag, offset: offset, what: "trailer")
        do throws(CursorError) {
            var t = TraceTrailer()
            let kinds = try c.varint()
            guard kinds <= 255 else { throw CursorError(position: c.position, reason: "too many kinds") }
            for _ in 0..<kinds {
                let raw = try c.byte()
                let n = try c.varint()
                if let k = TraceRecordKind(rawValue: raw) { t.recordCounts[k] = n }
            }
            t.droppedRecords = try c.varint()
            t.endTime = try c.signedVarint()
            t.rawBytes = try c.varint()
            let n = try c.varint()
            guard n <= UInt64(c.remaining) else { throw CursorError(position: c.position, reason: "index count too large") }
            t.index.reserveCapacity(Int(n))
            for _ in 0..<n {
                t.index.append(TraceIndexEntry(frameOffset: Int64(bitPattern: try c.varint()), frameLength: Int64(bitPattern: try c.varint()),
                                               firstTime: try c.signedVarint(), lastTime: try c.signedVarint(), recordCount: try c.varint()))
            }
            try TrailerExtensions.decode(&c, into: &t)
            return t
        } catch {
            throw TraceError.corrupt(offset: offset + Int64(error.position), reason: "trailer: \(error.reason)")
        }
    }

    // MARK: footer

    static func encodeFooter(trailerOffset: Int64, into out: ByteStore) {
        let p = ByteStore(capacity: 16)
        p.appendLE64(UInt64(bitPattern: trailerOffset))
        for b in TraceFormat.footerTag { p.append(b) }
        appendFrame(magic: TraceFormat.footerMagic, payload: p, to: out)
    }

    /// The trailer offset from a footer payload.
    static func decodeFooter(_ payload: UnsafeRawBufferPointer, offset: Int64) throws(TraceError) -> Int64 {
        guard payload.count == TraceFormat.footerPayloadSize else { throw TraceError.corrupt(offset: offset, reason: "footer has size \(payload.count)") }
        var c = try verified(payload, offset: offset, what: "footer")
        do throws(CursorError) {
            let trailerOffset = Int64(bitPattern: try c.le64())
            for b in TraceFormat.footerTag where try c.byte() != b {
                throw CursorError(position: c.position - 1, reason: "bad footer tag")
            }
            return trailerOffset
        } catch {
            throw TraceError.corrupt(offset: offset + Int64(error.position), reason: "footer: \(error.reason)")
        }
    }
}
