import CZstd
import Protoo

/// Reads a trace file record by record in constant memory, whatever its size.
///
/// - A file cut off mid-write reads up to its last complete record block; ``truncation`` then says
///   what was lost (no error).
/// - Damage to the records (checksums on every block, zstd errors) throws
///   ``TraceError/corrupt(offset:reason:)`` after every record before it; no record from a damaged
///   block is ever returned.
/// - Damage to the trailer, footer or an index frame costs no record: the reader finds the frames by
///   a forward scan, reads and verifies every block, and lists the damage in ``damages``.
/// - ``seek(toTime:)`` jumps to the first frame that can hold a record at or after a time.
public final class TraceReader {
    /// The file.
    public let path: String
    /// The header.
    public let header: TraceHeader
    /// The trailer, read at open: present when the writer closed the file cleanly and it is intact.
    public let trailer: TraceTrailer?
    /// Set once ``next()`` reached the end of a file that ends early.
    public private(set) var truncation: TraceTruncation?
    /// Damaged metadata worked around so far (at open: the footer or trailer; while reading: index
    /// frames, and the trailer or footer once reached). Every record was still read and verified.
    public private(set) var damages: [TraceDamage] = []
    /// The trailer's ``TraceTrailer/sourceEndedEarly``.
    public var sourceEndedEarly: String? { trailer?.sourceEndedEarly }
    /// Records returned by ``next()`` so far.
    public private(set) var recordsRead: UInt64 = 0

    private let input: FileInput
    private let dctx: OpaquePointer
    private let dataStart: Int64
    private let decoded = ByteStore(capacity: 1 << 20)
    private var decodedPosition = 0
    private var neededDecoded = 0
    private var blockEnd = 0
    private var blockRecordsLeft: UInt32 = 0
    private var previousTime: Int64 = 0
    private var inFrame = false
    private var frameDone = false
    private var frameStart: Int64 = 0
    private var frameRecords: UInt64 = 0
    private var frameMin = Int64.max
    private var frameMax = Int64.min
    /// A frame that ended and still awaits its index entry.
    private var unindexedFrame: TraceIndexEntry?
    private var counts = [UInt64](repeating: 0, count: 8)
    private var readFromStart = true
    /// No frame was skipped over damage (``skipDamage(after:)``): the trailer's counts must hold.
    private var countsComplete = true
    /// Where the footer says the trailer is, when the footer is intact (its trailer may not be).
    private let tailStart: Int64?
    /// The file ends in a footer-sized frame with the footer's magic (intact or not).
    private let footerAtEnd: Bool
    /// A trailer frame was read (and verified) by the forward scan.
    private var sawTrailer = false
    /// The compressed segment being fed to zstd (see ``CompressedPositions``).
    private var positions = CompressedPositions()
    /// The zstd frame header bytes (descriptor, window descriptor) every data frame of the file has:
    /// from the trace header (writers since it records them), else the first frame's.
    private var firstFrameHeader: [UInt8]?
    /// `firstFrameHeader` comes from the (checksummed) trace header.
    private var frameHeaderRecorded = false
    /// The frame header to give zstd instead of the damaged one in the file (magic included).
    private var repairedFrameHeader: [UInt8]?
    private var ended = false
    private var skipBefore: Int64?

    /// Opens `path` and reads its header (and trailer, if the file was closed cleanly).
    public init(path: String) throws(TraceError) {
        self.path = path
        input = try FileInput(path: path)
        guard try input.fill(atLeast: 8),
              input.window.loadUnaligned(as: UInt32.self) == TraceFormat.headerMagic.littleEndian else {
            throw TraceError.notATrace(path: path)
        }
        let size = Int(UInt32(littleEndian: input.window.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
        guard size <= 1 << 20, try input.fill(atLeast: 8 + size) else {
            throw TraceError.corrupt(offset: 4, reason: "header frame size \(size) runs past the end of the file")
        }
        (header, firstFrameHeader) = try MetadataCoding.decodeHeaderAndFrameHeader(UnsafeRawBufferPointer(rebasing: input.window[8..<(8 + size)]),
                                                                                     offset: 8, path: path)
        input.consume(8 + size)
        dataStart = input.position
        frameHeaderRecorded = firstFrameHeader != nil
        let tail = try TraceTail.read(input, dataStart: dataStart)
        trailer = tail.trailer
        tailStart = tail.trailerOffset
        footerAtEnd = tail.footerAtEnd
        if let damage = tail.damage { damages.append(damage) }
        guard let dctx = ZSTD_createDCtx() else { throw TraceError.compression("ZSTD_createDCtx returned NULL") }
        self.dctx = dctx
    }

    deinit { ZSTD_freeDCtx(dctx) }

    /// The file's size in bytes.
    public var fileSize: Int64 { input.size }
    /// `true` when the file has a valid footer and trailer (the writer closed it).
    public var isComplete: Bool { trailer != nil }

    /// The next record, or `nil` at the end (then check ``truncation``).
    public func next() throws(TraceError) -> TraceRecord? {
        try read { head, cursor throws(CursorError) in
            TraceRecord(time: head.time, connection: head.connection, event: try RecordCoding.decodeBody(head.kind, &cursor))
        }
    }

    /// Like ``next()``, but a `messageOut`'s text is left where the reader decompressed it: its
    /// bytes are valid until the reader's next call, and are not checked to be UTF-8. For readers
    /// that mostly compare server output (replay): no string is made for a message that matches.
    package func nextUndecoded() throws(TraceError) -> UndecodedRecord? {
        try read { head, cursor throws(CursorError) in
            if head.kind == .messageOut {
                return UndecodedRecord(time: head.time, connection: head.connection, messageOut: try cursor.stringBytes(), event: nil)
            }
            return UndecodedRecord(time: head.time, connection: head.connection, messageOut: nil,
                                   event: try RecordCoding.decodeBody(head.kind, &cursor))
        }
    }

    /// Decodes the next record's head, lets `body` decode the rest, and keeps the frame's books.
    @inline(__always)
    private func read<R>(_ body: (_ head: (kind: TraceRecordKind, time: Int64, connection: UInt64), _ cursor: inout ByteCursor) throws(CursorError) -> R) throws(TraceError) -> R? {
        while true {
            if blockRecordsLeft > 0 {
                var cursor = ByteCursor(base: UnsafePointer(decoded.base), position: decodedPosition, end: blockEnd)
                let head: (kind: TraceRecordKind, time: Int64, connection: UInt64)
                let record: R
                do {
                    head = try RecordCoding.decodeHead(&cursor, previousTime: previousTime)
                    record = try body(head, &cursor)
                } catch {
                    throw damagedBlock("record \(frameRecords) of the frame: \(error.reason)")
                }
                decodedPosition = cursor.position
                previousTime = head.time
                blockRecordsLeft -= 1
                if blockRecordsLeft == 0 && decodedPosition != blockEnd {
                    throw damagedBlock("record block has extra bytes")
                }
                frameRecords += 1
                frameMin = min(frameMin, head.time)
                frameMax = max(frameMax, head.time)
                counts[Int(head.kind.rawValue)] += 1
                if let s = skipBefore, head.time < s { continue }
                recordsRead += 1
                return record
            }
            if ended { return nil }
            try advance()
        }
    }

    /// Reads every remaining record (small traces and tests).
    public func readAll() throws(TraceError) -> [TraceRecord] {
        var all: [TraceRecord] = []
        while let r = try next() { all.append(r) }
        return all
    }

    /// Positions the reader so that ``next()`` returns only records at or after `time`
    /// (nanoseconds since the origin), starting with the first frame whose index says it can hold one.
    public func seek(toTime time: Int64) throws(TraceError) {
        // A damaged index frame: read from the first frame (the records before `time` are skipped).
        let entries = (try? indexEntries()) ?? []
        reset()
        readFromStart = false
        skipBefore = time
        if let e = entries.first(where: { $0.lastTime >= time }) {
            input.seek(to: e.frameOffset)
        } else if let last = entries.last {
            input.seek(to: last.frameOffset + last.frameLength + Int64(TraceFormat.frameHeaderSize + TraceFormat.indexPayloadSize))
        } else {
            input.seek(to: dataStart)
        }
    }

    /// After ``next()`` threw ``TraceError/corrupt(offset:reason:)``, moves to the next zstd frame
    /// after the damage, so that reading goes on with the records that verify there (for tools that
    /// want every verifiable record, not a prefix: `protoo trace cat --skip-damaged`). Returns the
    /// file range skipped: the records of the damaged frame not returned before the error are lost,
    /// and so are any between it and the next frame found. `nil`: no frame follows (the end).
    /// The next frame comes from the trailer's index when it is intact, else from a scan for the
    /// zstd magic followed by this file's frame header; a false match fails to verify and can be
    /// skipped in turn.
    public func skipDamage(after error: TraceError) throws(TraceError) -> Range<Int64>? {
        guard case .corrupt(let offset, _) = error.kind else { throw error }
        let from = inFrame ? frameStart : offset
        var next: Int64?
        if let trailer {
            next = trailer.index.first(where: { $0.frameOffset > max(from, offset) })?.frameOffset
        }
        if next == nil { next = try scanForFrame(after: max(from, offset)) }
        inFrame = false
        frameDone = false
        unindexedFrame = nil
        decoded.removeAll()
        decodedPosition = 0
        blockRecordsLeft = 0
        countsComplete = false
        ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only)
        guard let next else {
            ended = true
            return nil
        }
        input.seek(to: next)
        return from..<next
    }

    /// The offset of the next zstd frame start after `offset`: its magic, then this file's frame
    /// header bytes when known.
    private func scanForFrame(after offset: Int64) throws(TraceError) -> Int64? {
        let magic = TraceFormat.zstdMagicBytes + (firstFrameHeader ?? [])
        var position = offset + 1
        let chunk = 1 << 16
        while position + Int64(magic.count) <= input.size {
            let n = Int(min(Int64(chunk + magic.count), input.size - position))
            guard let bytes = try input.read(at: position, count: n) else { return nil }
            var i = 0
            while i + magic.count <= bytes.count {
                if bytes[i] == magic[0] && Array(bytes[i..<(i + magic.count)]) == magic { return position + Int64(i) }
                i += 1
            }
            position += Int64(chunk)
        }
        return nil
    }

    /// Goes back to the first record.
    public func rewind() {
        countsComplete = true
        reset()
        readFromStart = true
        skipBefore = nil
        input.seek(to: dataStart)
    }

    /// The frame index: from the trailer when the file is complete, else by walking frame headers
    /// (no decompression).
    public func indexEntries() throws(TraceError) -> [TraceIndexEntry] {
        if let trailer { return trailer.index }
        var entries: [TraceIndexEntry] = []
        var position = dataStart
        while let head = try input.read(at: position, count: 8) {
            let magic = UInt32(head[0]) | UInt32(head[1]) << 8 | UInt32(head[2]) << 16 | UInt32(head[3]) << 24
            if magic == TraceFormat.zstdMagic {
                guard let length = try ZstdFrameScanner.frameLength(in: input, at: position) else { break }
                position += length
                continue
            }
            guard [TraceFormat.indexMagic, TraceFormat.trailerMagic, TraceFormat.footerMagic].contains(magic) else {
                throw TraceError.corrupt(offset: position, reason: "unknown frame magic")
            }
            let size = Int(UInt32(head[4]) | UInt32(head[5]) << 8 | UInt32(head[6]) << 16 | UInt32(head[7]) << 24)
            guard let payload = try input.read(at: position + 8, count: size) else { break }
            if magic == TraceFormat.indexMagic {
                entries.append(try withBytes(payload) { (p) throws(TraceError) in try MetadataCoding.decodeIndex(p, offset: position + 8) })
            }
            position += 8 + Int64(size)
        }
        return entries
    }

    // MARK: - internals

    private func reset() {
        sawTrailer = false
        positions = CompressedPositions()
        decoded.removeAll()
        decodedPosition = 0
        neededDecoded = 0
        blockEnd = 0
        blockRecordsLeft = 0
        inFrame = false
        frameDone = false
        unindexedFrame = nil
        ended = false
        truncation = nil
        counts = [UInt64](repeating: 0, count: 8)
        ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only)
    }

    /// Loads the next record block, or marks the end.
    private func advance() throws(TraceError) {
        while !ended {
            if inFrame {
                if try takeBlock() { return }
                if frameDone {
                    guard decodedPosition == decoded.count else {
                        throw TraceError.corrupt(offset: input.position, reason: "the frame at \(frameStart) ends inside a record block")
                    }
                    inFrame = false
                    unindexedFrame = TraceIndexEntry(frameOffset: frameStart, frameLength: input.position - frameStart,
                                                     firstTime: frameMin, lastTime: frameMax, recordCount: frameRecords)
                    continue
                }
                try decompressMore()
            } else {
                try readFrame()
            }
        }
    }

    /// Validates and enters the block at the decoded position if it is complete.
    private func takeBlock() throws(TraceError) -> Bool {
        let available = decoded.count - decodedPosition
        let headerSize = TraceFormat.blockHeaderSize
        guard available >= headerSize else {
            neededDecoded = headerSize
            return false
        }
        let h = decoded.bytes(decodedPosition..<(decodedPosition + headerSize))
        let headerCRC = UInt32(littleEndian: h.loadUnaligned(fromByteOffset: 13, as: UInt32.self))
        guard h[0] == TraceFormat.blockTag, CRC32C.checksum(UnsafeRawBufferPointer(rebasing: h[0..<13])) == headerCRC else {
            throw damagedBlock("record block header checksum mismatch")
        }
        let bodyLength = Int(UInt32(littleEndian: h.loadUnaligned(fromByteOffset: 1, as: UInt32.self)))
        let recordCount = UInt32(littleEndian: h.loadUnaligned(fromByteOffset: 5, as: UInt32.self))
        let bodyCRC = UInt32(littleEndian: h.loadUnaligned(fromByteOffset: 9, as: UInt32.self))
        guard bodyLength <= TraceFormat.maximumBlockBody else {
            throw damagedBlock("record block of \(bodyLength) bytes")
        }
        guard available >= headerSize + bodyLength else {
            neededDecoded = headerSize + bodyLength
            return false
        }
        let bodyStart = decodedPosition + headerSize
        guard CRC32C.checksum(decoded.bytes(bodyStart..<(bodyStart + bodyLength))) == bodyCRC else {
            throw damagedBlock("record block checksum mismatch")
        }
        decodedPosition = bodyStart
        blockEnd = bodyStart + bodyLength
        blockRecordsLeft = recordCount
        previousTime = 0
        if recordCount == 0 {
            guard bodyLength == 0 else { throw damagedBlock("empty record block with data") }
            return try takeBlock()
        }
        return true
    }

    private func decompressMore() throws(TraceError) {
        if decodedPosition > 0 {
            decoded.removeFirst(decodedPosition)
            positions.dropDecoded(decodedPosition)
            decodedPosition = 0
        }
        decoded.reserve(max(neededDecoded - decoded.count, ZSTD_DStreamOutSize()))
        if input.position >= positions.end {
            // The next segment: a zstd block (its 3-byte header tells its length) or the checksum.
            guard positions.segment != .checksum else {
                throw TraceError.corrupt(offset: positions.start, reason: "the frame at \(frameStart) does not end after its content checksum")
            }
            var h: UInt32 = 0
            if positions.blockHeaderNext {
                guard try input.fill(atLeast: 3) else {
                    try endedEarly(reason: "the compressed frame at \(frameStart) is incomplete", from: unusableFrom,
                                   lostDecoded: decoded.count - decodedPosition, damageAt: positions.start)
                    return
                }
                let w = input.window
                h = UInt32(w[0]) | UInt32(w[1]) << 8 | UInt32(w[2]) << 16
            }
            try positions.advance(blockHeader: h, frameStart: frameStart)
        }
        // The whole segment in one call where the file has it (a zstd block is at most 128 KiB).
        _ = try input.fill(atLeast: Int(positions.end - input.position))
        if input.available == 0 {
            guard try input.fill(atLeast: 1) else {
                try endedEarly(reason: "the compressed frame at \(frameStart) is incomplete", from: unusableFrom,
                               lostDecoded: decoded.count - decodedPosition, damageAt: positions.start)
                return
            }
        }
        if positions.segment == .frameHeader, let repaired = repairedFrameHeader {
            return try decodeRepairedHeader(repaired)
        }
        let window = input.window
        let limit = min(window.count, Int(positions.end - input.position))
        var inBuffer = ZSTD_inBuffer(src: window.baseAddress, size: limit, pos: 0)
        var outBuffer = ZSTD_outBuffer(dst: decoded.base + decoded.count, size: decoded.spare, pos: 0)
        let rc = ZSTD_decompressStream(dctx, &outBuffer, &inBuffer)
        if ZSTD_isError(rc) != 0, positions.segment == .checksum, decodedPosition == decoded.count, limit == 4 {
            // Every record block of the frame verified (CRC-32C) and the frame ends on the last one:
            // the damage is in the 4 checksum bytes themselves.
            noteDamage(positions.start, "zstd content checksum of the frame at \(frameStart): \(String(cString: ZSTD_getErrorName(rc))), "
                       + "although every record block of the frame verified")
            input.consume(limit)
            frameDone = true
            return
        }
        if ZSTD_isError(rc) != 0 {
            // Decoded bytes not yet verified (a record block still incomplete) may be where the
            // damage went: it lies from the first compressed byte they came from on.
            var at = positions.damageStart
            if decodedPosition < decoded.count { at = min(at, positions.origin(ofDecoded: decodedPosition, fallback: frameStart)) }
            throw TraceError.corrupt(offset: at, reason: "zstd: \(String(cString: ZSTD_getErrorName(rc))) in the \(positions.segmentDescription)"
                                     + (at < positions.damageStart ? " or in the unverified data decoded from byte \(at) on" : "") + " (frame at \(frameStart))")
        }
        input.consume(inBuffer.pos)
        positions.produced(decodedStart: decoded.count, count: outBuffer.pos, outputFull: outBuffer.pos == outBuffer.size)
        decoded.count += outBuffer.pos
        if rc == 0 { frameDone = true }
    }

    /// Gives zstd the recorded frame header in place of the damaged one in the file.
    private func decodeRepairedHeader(_ repaired: [UInt8]) throws(TraceError) {
        guard try input.fill(atLeast: repaired.count) else {
            return try endedEarly(reason: "a frame header is incomplete", from: frameStart, lostDecoded: 0)
        }
        var outBuffer = ZSTD_outBuffer(dst: decoded.base + decoded.count, size: decoded.spare, pos: 0)
        let rc = repaired.withUnsafeBytes { p -> Int in
            var inBuffer = ZSTD_inBuffer(src: p.baseAddress, size: p.count, pos: 0)
            let rc = ZSTD_decompressStream(dctx, &outBuffer, &inBuffer)
            return ZSTD_isError(rc) != 0 || inBuffer.pos != p.count ? -1 : 0
        }
        guard rc == 0 else {
            throw TraceError.corrupt(offset: frameStart, reason: "zstd refused the recorded frame header for the frame at \(frameStart)")
        }
        input.consume(repaired.count)
        repairedFrameHeader = nil
    }

    /// In a frame cut off: the first compressed byte whose records could not be read (the start of
    /// the segment that produced the incomplete record block, or of the incomplete segment).
    private var unusableFrom: Int64 {
        if decodedPosition < decoded.count { return positions.origin(ofDecoded: decodedPosition, fallback: frameStart) }
        return input.position >= positions.end ? input.position : positions.start
    }

    /// A damaged record block: the offset is the first compressed byte it was decoded from.
    private func damagedBlock(_ what: String) -> TraceError {
        let origin = positions.origin(ofDecoded: decodedPosition, fallback: frameStart)
        return TraceError.corrupt(offset: origin, reason: "\(what) in the frame at \(frameStart) (decoded from compressed bytes \(origin)..<\(input.position))")
    }

    /// Reads the frame at the input position: starts a zstd frame or consumes a metadata frame.
    private func readFrame() throws(TraceError) {
        let offset = input.position
        guard try input.fill(atLeast: 1) else {
            if unindexedFrame != nil, trailer != nil {
                throw TraceError.corrupt(offset: offset, reason: "the frame at \(frameStart) has no index entry")
            }
            if trailer == nil && readFromStart {
                try endedEarly(reason: sawTrailer ? "no footer: the file ends after its trailer" : "no trailer: the writer did not close the file",
                               from: offset, lostDecoded: 0)
            }
            ended = true
            return
        }
        guard try input.fill(atLeast: 4) else {
            try endedEarly(reason: "a frame header is incomplete", from: offset, lostDecoded: 0)
            return
        }
        let magic = UInt32(littleEndian: input.window.loadUnaligned(as: UInt32.self))
        if unindexedFrame != nil { return try readIndexFrame(at: offset) }
        if magic == TraceFormat.zstdMagic { return try enterFrame(at: offset) }
        if trailer == nil { return try readTailWithoutTrailer(at: offset, magic: magic) }
        guard [TraceFormat.indexMagic, TraceFormat.trailerMagic, TraceFormat.footerMagic].contains(magic) else {
            throw TraceError.corrupt(offset: offset, reason: "unknown frame magic 0x\(String(magic, radix: 16))")
        }
        guard try input.fill(atLeast: 8) else {
            try endedEarly(reason: "a metadata frame header is incomplete", from: offset, lostDecoded: 0)
            return
        }
        let size = Int(UInt32(littleEndian: input.window.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
        guard size <= TraceFormat.maximumBlockBody else {
            throw TraceError.corrupt(offset: offset + 4, reason: "metadata frame of \(size) bytes")
        }
        guard try input.fill(atLeast: 8 + size) else {
            try endedEarly(reason: "a metadata frame is incomplete", from: offset, lostDecoded: 0)
            return
        }
        let payload = UnsafeRawBufferPointer(rebasing: input.window[8..<(8 + size)])
        switch magic {
        case TraceFormat.indexMagic:
            throw TraceError.corrupt(offset: offset, reason: "an index frame without a frame before it")
        case TraceFormat.trailerMagic:
            try checkCounts(try MetadataCoding.decodeTrailer(payload, offset: offset + 8), at: offset)
        default:
            _ = try MetadataCoding.decodeFooter(payload, offset: offset + 8)
            guard offset + Int64(TraceFormat.footerSize) == input.size else {
                throw TraceError.corrupt(offset: offset, reason: "data after the footer")
            }
        }
        input.consume(8 + size)
    }

    /// Starts the zstd frame at `offset`, after checking its header against what a writer writes.
    private func enterFrame(at offset: Int64) throws(TraceError) {
        guard try input.fill(atLeast: 6) else {
            try endedEarly(reason: "a frame header is incomplete", from: offset, lostDecoded: 0)
            return
        }
        let descriptor = input.window[4]
        var headerLength = ZstdFrameScanner.headerLength(descriptor: descriptor)
        let header = Array(input.window[4..<6])
        if let expected = firstFrameHeader, expected != header {
            let at = offset + (header[0] != expected[0] ? 4 : 5)
            let what = "zstd frame header of the frame at \(offset) is \(header.map { String($0, radix: 16) }), not \(expected.map { String($0, radix: 16) })"
            // The trace header's copy is checksummed: decode with it (the records are verified as ever).
            guard frameHeaderRecorded, ZstdFrameScanner.headerLength(descriptor: expected[0]) == 6 else {
                throw TraceError.corrupt(offset: at, reason: "\(what) like the file's first frame (one writer writes them all alike)")
            }
            noteDamage(at, "\(what) as the trace header records; the frame was decoded with the recorded header")
            repairedFrameHeader = TraceFormat.zstdMagicBytes + expected
            headerLength = 6
        } else if let problem = ZstdFrameScanner.descriptorProblem(descriptor) {
            throw TraceError.corrupt(offset: offset + 4, reason: "zstd frame header of the frame at \(offset): \(problem)")
        }
        if firstFrameHeader == nil { firstFrameHeader = header }
        inFrame = true
        frameDone = false
        frameStart = offset
        frameRecords = 0
        frameMin = .max
        frameMax = .min
        decoded.removeAll()
        decodedPosition = 0
        positions.enterFrame(at: offset, headerLength: headerLength)
        ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only)
    }

    /// The index frame that must follow the frame that just ended: fixed size, so a damaged one
    /// (magic, size, checksum, or an entry that does not match the verified frame) is stepped over.
    private func readIndexFrame(at offset: Int64) throws(TraceError) {
        let frameSize = TraceFormat.frameHeaderSize + TraceFormat.indexPayloadSize
        guard try input.fill(atLeast: frameSize) else {
            try endedEarly(reason: "an index frame is incomplete", from: offset, lostDecoded: 0)
            return
        }
        let w = input.window
        let magic = UInt32(littleEndian: w.loadUnaligned(as: UInt32.self))
        let size = Int(UInt32(littleEndian: w.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
        var problem: String?
        if magic != TraceFormat.indexMagic {
            problem = "magic 0x\(String(magic, radix: 16)) where the index frame of the frame at \(frameStart) belongs"
        } else if size != TraceFormat.indexPayloadSize {
            problem = "index frame size \(size)"
        } else {
            do {
                let entry = try MetadataCoding.decodeIndex(UnsafeRawBufferPointer(rebasing: w[8..<frameSize]), offset: offset + 8)
                if entry != unindexedFrame { problem = "index entry does not match the frame before it" }
            } catch {
                if case .corrupt(_, let reason) = error.kind { problem = reason } else { throw error }
            }
        }
        if let problem {
            // Only if a frame (or the end) follows: else this is not a damaged index frame but lost data.
            if try input.fill(atLeast: frameSize + 4) {
                let next = UInt32(littleEndian: input.window.loadUnaligned(fromByteOffset: frameSize, as: UInt32.self))
                guard [TraceFormat.zstdMagic, TraceFormat.trailerMagic].contains(next) else {
                    throw TraceError.corrupt(offset: offset, reason: "\(problem), and no frame follows it")
                }
            }
            noteDamage(offset, "the index frame of the frame at \(frameStart): \(problem)")
        }
        unindexedFrame = nil
        input.consume(frameSize)
    }

    /// Checks the trailer's counts against the records read (when reading from the start).
    private func checkCounts(_ t: TraceTrailer, at offset: Int64) throws(TraceError) {
        guard readFromStart && countsComplete else { return }
        for k in TraceRecordKind.allCases where (t.recordCounts[k] ?? 0) != counts[Int(k.rawValue)] {
            throw TraceError.corrupt(offset: offset, reason: "trailer counts \(t.recordCounts[k] ?? 0) \(k) records, the file holds \(counts[Int(k.rawValue)])")
        }
    }

    /// The end of a file with no intact trailer at open: a trailer and footer that were damaged
    /// (noted, reading ends: no record follows them), or a file cut off (a truncation).
    private func readTailWithoutTrailer(at offset: Int64, magic: UInt32) throws(TraceError) {
        let left = input.size - offset
        func damaged(_ reason: String, at position: Int64) {
            noteDamage(position, reason)
            ended = true
        }
        if magic == TraceFormat.footerMagic || (sawTrailer && left == Int64(TraceFormat.footerSize)) {
            guard left >= Int64(TraceFormat.footerSize) else {
                return try endedEarly(reason: "the footer is incomplete", from: offset, lostDecoded: 0)
            }
            guard left == Int64(TraceFormat.footerSize), try input.fill(atLeast: TraceFormat.footerSize) else {
                return damaged("footer magic \(left - Int64(TraceFormat.footerSize)) bytes before the end of the file", at: offset)
            }
            let w = input.window
            if magic != TraceFormat.footerMagic { return damaged("footer magic 0x\(String(magic, radix: 16))", at: offset) }
            do {
                _ = try MetadataCoding.decodeFooter(UnsafeRawBufferPointer(rebasing: w[8..<TraceFormat.footerSize]), offset: offset + 8)
            } catch {
                if case .corrupt(let o, let reason) = error.kind { return damaged(reason, at: o) } else { throw error }
            }
            if UInt32(littleEndian: w.loadUnaligned(fromByteOffset: 4, as: UInt32.self)) != UInt32(TraceFormat.footerPayloadSize) {
                return damaged("footer size field is wrong", at: offset + 4)
            }
            // An intact footer the open did not accept (it points at a damaged trailer): noted there.
            input.consume(TraceFormat.footerSize)
            ended = true
            return
        }
        guard magic == TraceFormat.trailerMagic || offset == tailStart else {
            throw TraceError.corrupt(offset: offset, reason: "unknown frame magic 0x\(String(magic, radix: 16))")
        }
        guard magic == TraceFormat.trailerMagic else { return damaged("trailer magic 0x\(String(magic, radix: 16))", at: offset) }
        // The trailer runs to the footer: its size field is checked against that when there is one.
        guard try input.fill(atLeast: 8) else {
            return try endedEarly(reason: "the trailer frame header is incomplete", from: offset, lostDecoded: 0)
        }
        let size = Int64(UInt32(littleEndian: input.window.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
        if footerAtEnd && offset + 8 + size != input.size - Int64(TraceFormat.footerSize) {
            return damaged("trailer size field \(size) does not reach the footer", at: offset + 4)
        }
        guard size <= Int64(TraceFormat.maximumBlockBody), offset + 8 + size <= input.size, try input.fill(atLeast: 8 + Int(size)) else {
            return try endedEarly(reason: "the trailer is incomplete", from: offset, lostDecoded: 0)
        }
        do {
            let t = try MetadataCoding.decodeTrailer(UnsafeRawBufferPointer(rebasing: input.window[8..<(8 + Int(size))]), offset: offset + 8)
            try checkCounts(t, at: offset)
        } catch {
            guard case .corrupt(let o, let reason) = error.kind, !reason.hasPrefix("trailer counts") else { throw error }
            return damaged(reason, at: o)
        }
        sawTrailer = true
        input.consume(8 + Int(size))
    }

    /// Records a damage once (a damaged footer is met at open and again by the forward scan).
    private func noteDamage(_ offset: Int64, _ reason: String) {
        guard !damages.contains(where: { $0.offset == offset }) else { return }
        damages.append(TraceDamage(offset: offset, reason: reason))
    }

    /// The file ended before `from` could be read completely: a truncation, or damage if the
    /// footer says the file is complete.
    /// `damageAt`: where the damage must be if the file is complete (a block header whose size
    /// field runs the frame past the end).
    private func endedEarly(reason: String, from offset: Int64, lostDecoded: Int, damageAt: Int64? = nil) throws(TraceError) {
        if trailer != nil {
            let at = damageAt ?? input.position
            throw TraceError.corrupt(offset: at, reason: "\(reason), although the footer says the file is complete"
                                     + (damageAt != nil ? " (the zstd block header at \(at) says the frame runs past the end)" : ""))
        }
        truncation = TraceTruncation(incompleteFrom: offset, lostFileBytes: input.size - offset,
                                     lostDecodedBytes: Int64(lostDecoded), reason: reason)
        blockRecordsLeft = 0
        ended = true
    }
}
