/// Writes a JSON-lines trace: header line, one line per record, trailer line.
public final class JSONLinesTraceWriter: TraceRecordSink {
    /// The file written.
    public let path: String
    private let file: FileOutput
    private let buffer = ByteStore(capacity: 1 << 16)
    private let redactor: TraceRedactor?
    private var counts: [TraceRecordKind: UInt64] = [:]
    private var dropped: UInt64 = 0
    private var latest: Int64?
    private var staging: TraceRecorderStatistics?
    private var sourceEndedEarly: String?
    private var isClosed = false

    /// Creates the file and writes the header line. `redactor` rewrites each record first.
    public init(path: String, header: TraceHeader, redactor: TraceRedactor? = nil) throws(TraceError) {
        self.path = path
        self.redactor = redactor
        file = try FileOutput(path: path)
        try append(TraceJSONLines.encode(header))
    }

    /// Records written so far.
    public var recordCount: UInt64 { counts.values.reduce(0, +) }
    /// Bytes in the file so far, plus buffered lines.
    public var bytesWritten: Int64 { file.offset + Int64(buffer.count) }

    public func write(_ record: TraceRecord) throws(TraceError) {
        guard !isClosed else { throw TraceError.writerClosed }
        var record = record
        redactor?.apply(&record)
        counts[record.event.kind, default: 0] += 1
        latest = max(latest ?? record.time, record.time)
        try append(TraceJSONLines.encode(record))
    }

    /// Writes a record staged by a ``TraceRecorder``.
    func writeEncoded(kind: TraceRecordKind, time: Int64, connection: UInt64, body: UnsafeRawBufferPointer) throws(TraceError) {
        try write(RecordCoding.decodeStaged(kind: kind, time: time, connection: connection, body: body))
    }

    /// Writes the buffered lines to the file.
    public func flush() throws(TraceError) {
        guard !isClosed else { throw TraceError.writerClosed }
        try file.write(buffer.all)
        buffer.removeAll()
    }

    public func recordDropped(_ count: UInt64) { dropped &+= count }

    /// The recorder's staging figures for the trailer line.
    func recordStaging(_ statistics: TraceRecorderStatistics) { staging = statistics }

    /// Says in the trailer line that the records come from a trace that ended early or was damaged.
    public func markSourceEndedEarly(_ reason: String) { sourceEndedEarly = reason }

    @discardableResult
    public func close(endTime: Int64? = nil) throws(TraceError) -> TraceTrailer {
        guard !isClosed else { throw TraceError.writerClosed }
        isClosed = true
        let trailer = TraceTrailer(recordCounts: counts, droppedRecords: dropped, endTime: endTime ?? latest ?? 0,
                                   recorder: staging, sourceEndedEarly: sourceEndedEarly)
        try append(TraceJSONLines.encode(trailer))
        try file.write(buffer.all)
        try file.close()
        return trailer
    }

    private func append(_ line: String) throws(TraceError) {
        buffer.appendUTF8(line)
        buffer.append(0x0A)
        if buffer.count >= 1 << 16 {
            try file.write(buffer.all)
            buffer.removeAll()
        }
    }
}
