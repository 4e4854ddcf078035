/// Writes a JSON-lines trace: header line, one line per record, trailer line.
public final class JSONLinesTraceWriter: TraceRecordSink {
    private let file: FileOutput
    private let buffer = ByteStore(capacity: 1 << 16)
    private var counts: [TraceRecordKind: UInt64] = [:]
    private var dropped: UInt64 = 0
    private var latest: Int64?
    private var isClosed = false

    public init(path: String, header: TraceHeader) throws(TraceError) {
        file = try FileOutput(path: path)
        try append(TraceJSONLines.encode(header))
    }

    public func write(_ record: TraceRecord) throws(TraceError) {
        guard !isClosed else { throw TraceError.writerClosed }
        counts[record.event.kind, default: 0] += 1
        latest = max(latest ?? record.time, record.time)
        try append(TraceJSONLines.encode(record))
    }

    public func recordDropped(_ count: UInt64) { dropped &+= count }

    @discardableResult
    public func close(endTime: Int64? = nil) throws(TraceError) -> TraceTrailer {
        guard !isClosed else { throw TraceError.writerClosed }
        isClosed = true
        let trailer = TraceTrailer(recordCounts: counts, droppedRecords: dropped, endTime: endTime ?? latest ?? 0)
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
