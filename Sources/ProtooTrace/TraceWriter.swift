import CZstd
import Protoo

/// Writes a compressed trace file, synchronously, on the caller's thread (simulator, tools, tests).
/// Not thread-safe: use ``TraceRecorder`` to record a live server.
///
/// Records are encoded into a block; a full block (or ``flush()``) is compressed into the current
/// zstd frame with `ZSTD_e_flush` and written, so a crash loses at most one block. Call ``close()``:
/// a writer dropped without it leaves a file that reads as truncated after the last flush.
public final class TraceWriter {
    /// The file being written.
    public let path: String
    /// The header written at the start.
    public let header: TraceHeader
    private let options: TraceWriterOptions
    private let file: FileOutput
    private let cctx: OpaquePointer
    private let block: ByteStore
    private let out: ByteStore
    private var blockRecords: UInt32 = 0
    private var previousTime: Int64 = 0
    private var frameOpen = false
    private var frameStart: Int64 = 0
    private var frameRaw = 0
    private var frameRecords: UInt64 = 0
    private var frameMin = Int64.max
    private var frameMax = Int64.min
    private var index: [TraceIndexEntry] = []
    private var counts = [UInt64](repeating: 0, count: 8)
    private var dropped: UInt64 = 0
    private var maxTime = Int64.min
    private var rawBytes: UInt64 = 0
    private var staging: TraceRecorderStatistics?
    private var sourceEndedEarly: String?
    private var isClosed = false

    /// Creates (or truncates) `path` and writes the header.
    public init(path: String, header: TraceHeader, options: TraceWriterOptions = TraceWriterOptions()) throws(TraceError) {
        guard let cctx = ZSTD_createCCtx() else { throw TraceError.compression("ZSTD_createCCtx returned NULL") }
        self.cctx = cctx
        self.path = path
        self.header = header
        self.options = options
        block = ByteStore(capacity: options.flushBytes + 64 * 1024)
        out = ByteStore(capacity: ZSTD_CStreamOutSize() * 2)
        file = try FileOutput(path: path)
        var parameters = [(ZSTD_c_compressionLevel, options.compressionLevel), (ZSTD_c_checksumFlag, 1)]
        if let hashLog = options.hashLog { parameters.append((ZSTD_c_hashLog, hashLog)) }
        for (param, value) in parameters {
            let rc = ZSTD_CCtx_setParameter(cctx, param, value)
            if ZSTD_isError(rc) != 0 { throw TraceError.compression(String(cString: ZSTD_getErrorName(rc))) }
        }
        block.count = TraceFormat.blockHeaderSize
        MetadataCoding.encodeHeader(header, frameHeader: try probeFrameHeader(), into: out)
        try writeOut()
    }

    /// The two zstd frame header bytes (descriptor, window descriptor) every data frame of this
    /// writer starts with: each frame begins with a flush of unknown total size under the same
    /// parameters. Found by compressing one byte and resetting the session; recorded in the header
    /// so a reader can tell a damaged frame header (which zstd may not notice) from an intact one.
    private func probeFrameHeader() throws(TraceError) -> [UInt8] {
        let probe = ByteStore(capacity: 64)
        probe.append(0)
        try compress(probe.all, ZSTD_e_flush)
        defer { out.removeAll() }
        let rc = ZSTD_CCtx_reset(cctx, ZSTD_reset_session_only)
        if ZSTD_isError(rc) != 0 { throw TraceError.compression(String(cString: ZSTD_getErrorName(rc))) }
        guard out.count >= 6 else { throw TraceError.compression("zstd wrote a \(out.count)-byte frame start") }
        return [out.base[4], out.base[5]]
    }

    deinit { ZSTD_freeCCtx(cctx) }

    /// Records written so far (dropped ones excluded).
    public var recordCount: UInt64 { counts.reduce(0, +) }
    /// Bytes in the file so far, plus compressed bytes not yet written.
    public var bytesWritten: Int64 { file.offset + Int64(out.count) }
    /// The latest record time written, if any.
    public var latestTime: Int64? { maxTime == .min ? nil : maxTime }

    /// Appends one record (redacted first, if the options say so).
    public func write(_ record: TraceRecord) throws(TraceError) {
        guard !isClosed else { throw TraceError.writerClosed }
        if let redactor = options.redactor {
            var redacted = record
            redactor.apply(&redacted)
            RecordCoding.encode(redacted, previousTime: previousTime, into: block)
        } else {
            // No copy of the record (a copy retains and releases each of its strings).
            RecordCoding.encode(record, previousTime: previousTime, into: block)
        }
        try recorded(record.event.kind, at: record.time)
    }

    /// Appends one record whose body is already encoded (``RecordCoding/encodeBody(_:into:)``):
    /// the recorder's path, a copy of bytes. With a redactor, the record is decoded and redacted first.
    func writeEncoded(kind: TraceRecordKind, time: Int64, connection: UInt64, body: UnsafeRawBufferPointer) throws(TraceError) {
        guard !isClosed else { throw TraceError.writerClosed }
        if options.redactor != nil {
            return try write(RecordCoding.decodeStaged(kind: kind, time: time, connection: connection, body: body))
        }
        RecordCoding.encodeHead(kind: kind, timeDelta: time &- previousTime, connection: connection, into: block)
        block.append(body)
        try recorded(kind, at: time)
    }

    /// Bookkeeping after a record was encoded into the block.
    @inline(__always)
    private func recorded(_ kind: TraceRecordKind, at time: Int64) throws(TraceError) {
        previousTime = time
        blockRecords += 1
        counts[Int(kind.rawValue)] += 1
        frameMin = min(frameMin, time)
        frameMax = max(frameMax, time)
        maxTime = max(maxTime, time)
        if block.count - TraceFormat.blockHeaderSize >= options.flushBytes { try flushBlock() }
    }

    /// Counts records a producer had to drop; the total goes into the trailer.
    public func recordDropped(_ count: UInt64) { dropped &+= count }

    /// The recorder's staging figures for the trailer (``TraceTrailer/recorder``).
    func recordStaging(_ statistics: TraceRecorderStatistics) { staging = statistics }

    /// Says in the trailer that the records come from a trace that ended early or was damaged
    /// (``TraceTrailer/sourceEndedEarly``): a replay then treats this trace as cut off.
    public func markSourceEndedEarly(_ reason: String) { sourceEndedEarly = reason }

    /// Compresses and writes everything written so far (a `ZSTD_e_flush`).
    public func flush() throws(TraceError) {
        guard !isClosed else { throw TraceError.writerClosed }
        try flushBlock()
    }

    /// Flushes, ends the frame, writes the trailer and footer and closes the file.
    /// - Parameter endTime: the trace's end (nanoseconds since the origin); defaults to the latest record time.
    @discardableResult
    public func close(endTime: Int64? = nil) throws(TraceError) -> TraceTrailer {
        guard !isClosed else { throw TraceError.writerClosed }
        try flushBlock()
        if frameOpen { try endFrame() }
        isClosed = true
        var trailer = TraceTrailer(droppedRecords: dropped, endTime: endTime ?? latestTime ?? 0,
                                   rawBytes: rawBytes, index: index, recorder: staging, sourceEndedEarly: sourceEndedEarly)
        for k in TraceRecordKind.allCases { trailer.recordCounts[k] = counts[Int(k.rawValue)] }
        let trailerOffset = bytesWritten
        MetadataCoding.encodeTrailer(trailer, into: out)
        MetadataCoding.encodeFooter(trailerOffset: trailerOffset, into: out)
        try writeOut()
        try file.close()
        return trailer
    }

    private func flushBlock() throws(TraceError) {
        guard blockRecords > 0 else { return }
        if !frameOpen {
            frameOpen = true
            frameStart = bytesWritten
        }
        let bodyCount = block.count - TraceFormat.blockHeaderSize
        let bodyCRC = CRC32C.checksum(block.bytes(TraceFormat.blockHeaderSize..<block.count))
        block.base[0] = TraceFormat.blockTag
        block.setLE32(UInt32(bodyCount), at: 1)
        block.setLE32(blockRecords, at: 5)
        block.setLE32(bodyCRC, at: 9)
        block.setLE32(CRC32C.checksum(block.bytes(0..<13)), at: 13)
        try compress(block.all, ZSTD_e_flush)
        frameRaw += block.count
        rawBytes += UInt64(block.count)
        frameRecords += UInt64(blockRecords)
        block.count = TraceFormat.blockHeaderSize
        blockRecords = 0
        previousTime = 0
        if frameRaw >= options.frameBytes { try endFrame() }
        try writeOut()
    }

    private func endFrame() throws(TraceError) {
        try compress(UnsafeRawBufferPointer(start: nil, count: 0), ZSTD_e_end)
        let entry = TraceIndexEntry(frameOffset: frameStart, frameLength: bytesWritten - frameStart,
                                    firstTime: frameMin, lastTime: frameMax, recordCount: frameRecords)
        index.append(entry)
        MetadataCoding.encodeIndex(entry, into: out)
        frameOpen = false
        frameRaw = 0
        frameRecords = 0
        frameMin = .max
        frameMax = .min
    }

    private func compress(_ source: UnsafeRawBufferPointer, _ directive: ZSTD_EndDirective) throws(TraceError) {
        var input = ZSTD_inBuffer(src: source.baseAddress, size: source.count, pos: 0)
        let chunk = ZSTD_CStreamOutSize()
        while true {
            out.reserve(chunk)
            var output = ZSTD_outBuffer(dst: out.base + out.count, size: out.spare, pos: 0)
            let rc = ZSTD_compressStream2(cctx, &output, &input, directive)
            if ZSTD_isError(rc) != 0 { throw TraceError.compression(String(cString: ZSTD_getErrorName(rc))) }
            out.count += output.pos
            if directive == ZSTD_e_continue ? input.pos == input.size : rc == 0 { return }
        }
    }

    private func writeOut() throws(TraceError) {
        guard out.count > 0 else { return }
        try file.write(out.all)
        out.removeAll()
    }
}
