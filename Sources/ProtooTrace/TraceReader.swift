import CZstd
import Protoo

/// Reads a trace file record by record in constant memory, whatever its size.
///
/// - A file cut off mid-write reads up to its last complete record block; ``truncation`` then says
///   what was lost (no error).
/// - Damage anywhere (checksums on every block, header, index entry and trailer) throws
///   ``TraceError/corrupt(offset:reason:)``; no record from a damaged block is ever returned.
/// - ``seek(toTime:)`` jumps to the first frame that can hold a record at or after a time.
public final class TraceReader {
    /// The file.
    public let path: String
    /// The header.
    public let header: TraceHeader
    /// The trailer, read at open: present when the writer closed the file cleanly.
    public let trailer: TraceTrailer?
    /// Set once ``next()`` reached the end of a file that ends early.
    public private(set) var truncation: TraceTruncation?
    /// Records returned by ``next()`` so far.
    // Unchecked exclusivity on the per-record state below: a reader is used from one thread at a
    // time and no access to one of these spans a call that could touch it again; the dynamic
    // checks were ≈ 2 % of a replay.
    @exclusivity(unchecked) public private(set) var recordsRead: UInt64 = 0

    private let input: FileInput
    private let dctx: OpaquePointer
    private let dataStart: Int64
    private let decoded = ByteStore(capacity: 1 << 20)
    @exclusivity(unchecked) private var decodedPosition = 0
    private var neededDecoded = 0
    @exclusivity(unchecked) private var blockEnd = 0
    @exclusivity(unchecked) private var blockRecordsLeft: UInt32 = 0
    @exclusivity(unchecked) private var previousTime: Int64 = 0
    private var inFrame = false
    private var frameDone = false
    private var frameStart: Int64 = 0
    @exclusivity(unchecked) private var frameRecords: UInt64 = 0
    @exclusivity(unchecked) private var frameMin = Int64.max
    @exclusivity(unchecked) private var frameMax = Int64.min
    /// A frame that ended and still awaits its index entry.
    private var unindexedFrame: TraceIndexEntry?
    @exclusivity(unchecked) private var counts = [UInt64](repeating: 0, count: 8)
    private var readFromStart = true
    @exclusivity(unchecked) private var ended = false
    @exclusivity(unchecked) private var skipBefore: Int64?

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
        header = try MetadataCoding.decodeHeader(UnsafeRawBufferPointer(rebasing: input.window[8..<(8 + size)]), offset: 8, path: path)
        input.consume(8 + size)
        dataStart = input.position
        trailer = try Self.readTrailer(input, dataStart: dataStart)
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
                    throw TraceError.corrupt(offset: input.position, reason: "record in the frame at \(frameStart): \(error.reason)")
                }
                decodedPosition = cursor.position
                previousTime = head.time
                blockRecordsLeft -= 1
                if blockRecordsLeft == 0 && decodedPosition != blockEnd {
                    throw TraceError.corrupt(offset: input.position, reason: "record block in the frame at \(frameStart) has extra bytes")
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
        let entries = try indexEntries()
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

    /// Goes back to the first record.
    public func rewind() {
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
            throw TraceError.corrupt(offset: input.position, reason: "record block header checksum mismatch in the frame at \(frameStart)")
        }
        let bodyLength = Int(UInt32(littleEndian: h.loadUnaligned(fromByteOffset: 1, as: UInt32.self)))
        let recordCount = UInt32(littleEndian: h.loadUnaligned(fromByteOffset: 5, as: UInt32.self))
        let bodyCRC = UInt32(littleEndian: h.loadUnaligned(fromByteOffset: 9, as: UInt32.self))
        guard bodyLength <= TraceFormat.maximumBlockBody else {
            throw TraceError.corrupt(offset: input.position, reason: "record block of \(bodyLength) bytes in the frame at \(frameStart)")
        }
        guard available >= headerSize + bodyLength else {
            neededDecoded = headerSize + bodyLength
            return false
        }
        let bodyStart = decodedPosition + headerSize
        guard CRC32C.checksum(decoded.bytes(bodyStart..<(bodyStart + bodyLength))) == bodyCRC else {
            throw TraceError.corrupt(offset: input.position, reason: "record block checksum mismatch in the frame at \(frameStart)")
        }
        decodedPosition = bodyStart
        blockEnd = bodyStart + bodyLength
        blockRecordsLeft = recordCount
        previousTime = 0
        if recordCount == 0 {
            guard bodyLength == 0 else { throw TraceError.corrupt(offset: input.position, reason: "empty record block with data") }
            return try takeBlock()
        }
        return true
    }

    private func decompressMore() throws(TraceError) {
        if decodedPosition > 0 {
            decoded.removeFirst(decodedPosition)
            decodedPosition = 0
        }
        decoded.reserve(max(neededDecoded - decoded.count, ZSTD_DStreamOutSize()))
        if input.available == 0 {
            guard try input.fill(atLeast: 1) else {
                try endedEarly(reason: "the compressed frame at \(frameStart) is incomplete", from: frameStart,
                               lostDecoded: decoded.count)
                return
            }
        }
        let window = input.window
        var inBuffer = ZSTD_inBuffer(src: window.baseAddress, size: window.count, pos: 0)
        var outBuffer = ZSTD_outBuffer(dst: decoded.base + decoded.count, size: decoded.spare, pos: 0)
        let rc = ZSTD_decompressStream(dctx, &outBuffer, &inBuffer)
        if ZSTD_isError(rc) != 0 {
            throw TraceError.corrupt(offset: input.position + Int64(inBuffer.pos),
                                     reason: "zstd: \(String(cString: ZSTD_getErrorName(rc))) (frame at \(frameStart))")
        }
        input.consume(inBuffer.pos)
        decoded.count += outBuffer.pos
        if rc == 0 { frameDone = true }
    }

    /// Reads the frame at the input position: starts a zstd frame or consumes a metadata frame.
    private func readFrame() throws(TraceError) {
        let offset = input.position
        guard try input.fill(atLeast: 1) else {
            if unindexedFrame != nil, trailer != nil {
                throw TraceError.corrupt(offset: offset, reason: "the frame at \(frameStart) has no index entry")
            }
            if trailer == nil && readFromStart {
                try endedEarly(reason: "no trailer: the writer did not close the file", from: offset, lostDecoded: 0)
            }
            ended = true
            return
        }
        guard try input.fill(atLeast: 4) else {
            try endedEarly(reason: "a frame header is incomplete", from: offset, lostDecoded: 0)
            return
        }
        let magic = UInt32(littleEndian: input.window.loadUnaligned(as: UInt32.self))
        if magic == TraceFormat.zstdMagic {
            if unindexedFrame != nil {
                throw TraceError.corrupt(offset: offset, reason: "the frame at \(frameStart) has no index entry")
            }
            inFrame = true
            frameDone = false
            frameStart = offset
            frameRecords = 0
            frameMin = .max
            frameMax = .min
            decoded.removeAll()
            decodedPosition = 0
            ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only)
            return
        }
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
            let entry = try MetadataCoding.decodeIndex(payload, offset: offset + 8)
            guard let frame = unindexedFrame, frame == entry else {
                throw TraceError.corrupt(offset: offset, reason: "index entry does not match the frame before it")
            }
            unindexedFrame = nil
        case TraceFormat.trailerMagic:
            let t = try MetadataCoding.decodeTrailer(payload, offset: offset + 8)
            if unindexedFrame != nil {
                throw TraceError.corrupt(offset: offset, reason: "the frame at \(frameStart) has no index entry")
            }
            if readFromStart {
                for k in TraceRecordKind.allCases where (t.recordCounts[k] ?? 0) != counts[Int(k.rawValue)] {
                    throw TraceError.corrupt(offset: offset, reason: "trailer counts \(t.recordCounts[k] ?? 0) \(k) records, the file holds \(counts[Int(k.rawValue)])")
                }
            }
        default:
            _ = try MetadataCoding.decodeFooter(payload, offset: offset + 8)
            guard offset + Int64(TraceFormat.footerSize) == input.size else {
                throw TraceError.corrupt(offset: offset, reason: "data after the footer")
            }
        }
        input.consume(8 + size)
    }

    /// The file ended before `from` could be read completely: a truncation, or damage if the
    /// footer says the file is complete.
    private func endedEarly(reason: String, from offset: Int64, lostDecoded: Int) throws(TraceError) {
        if trailer != nil {
            throw TraceError.corrupt(offset: input.position, reason: "\(reason), although the footer says the file is complete")
        }
        truncation = TraceTruncation(incompleteFrom: offset, lostFileBytes: input.size - offset,
                                     lostDecodedBytes: Int64(lostDecoded), reason: reason)
        blockRecordsLeft = 0
        ended = true
    }

    /// Reads the trailer through the footer at the end of the file; `nil` when there is no footer.
    private static func readTrailer(_ input: FileInput, dataStart: Int64) throws(TraceError) -> TraceTrailer? {
        let footerSize = Int64(TraceFormat.footerSize)
        let footerOffset = input.size - footerSize
        guard footerOffset >= dataStart, let tail = try input.read(at: footerOffset, count: Int(footerSize)) else { return nil }
        return try withBytes(tail) { (t) throws(TraceError) -> TraceTrailer? in
            guard UInt32(littleEndian: t.loadUnaligned(as: UInt32.self)) == TraceFormat.footerMagic else { return nil }
            guard UInt32(littleEndian: t.loadUnaligned(fromByteOffset: 4, as: UInt32.self)) == UInt32(TraceFormat.footerPayloadSize) else {
                throw TraceError.corrupt(offset: footerOffset + 4, reason: "footer size field is wrong")
            }
            let trailerOffset = try MetadataCoding.decodeFooter(UnsafeRawBufferPointer(rebasing: t[8...]), offset: footerOffset + 8)
            guard trailerOffset >= dataStart, trailerOffset + 8 <= footerOffset,
                  let head = try input.read(at: trailerOffset, count: 8) else {
                throw TraceError.corrupt(offset: footerOffset + 8, reason: "footer points outside the file")
            }
            let magic = UInt32(head[0]) | UInt32(head[1]) << 8 | UInt32(head[2]) << 16 | UInt32(head[3]) << 24
            let size = Int64(UInt32(head[4]) | UInt32(head[5]) << 8 | UInt32(head[6]) << 16 | UInt32(head[7]) << 24)
            guard magic == TraceFormat.trailerMagic, trailerOffset + 8 + size == footerOffset,
                  let payload = try input.read(at: trailerOffset + 8, count: Int(size)) else {
                throw TraceError.corrupt(offset: trailerOffset, reason: "footer does not point at a trailer")
            }
            return try withBytes(payload) { (p) throws(TraceError) in try MetadataCoding.decodeTrailer(p, offset: trailerOffset + 8) }
        }
    }
}
