/// What a ``TraceRecorder``'s writer thread writes to: a binary trace (``TraceWriter``) or, for a
/// `.jsonl` path, a JSON-lines trace (``JSONLinesTraceWriter``).
protocol RecordingOutput: AnyObject {
    var path: String { get }
    /// Bytes in the file so far, plus what is buffered (for rotation by size).
    var bytesWritten: Int64 { get }
    var recordCount: UInt64 { get }
    /// Writes one record staged by the recorder (see ``StagedRecords``): head fields and body.
    func writeEncoded(kind: TraceRecordKind, time: Int64, connection: UInt64, body: UnsafeRawBufferPointer) throws(TraceError)
    func recordDropped(_ count: UInt64)
    /// The recorder's staging figures so far, for the trailer.
    func recordStaging(_ statistics: TraceRecorderStatistics)
    /// Puts everything written so far in the file (the recorder calls it every flush interval).
    func flush() throws(TraceError)
    @discardableResult
    func close(endTime: Int64?) throws(TraceError) -> TraceTrailer
}

extension TraceWriter: RecordingOutput {}
extension JSONLinesTraceWriter: RecordingOutput {}

extension RecordCoding {
    /// A record staged by the recorder, decoded (its time is absolute).
    static func decodeStaged(kind: TraceRecordKind, time: Int64, connection: UInt64,
                             body: UnsafeRawBufferPointer) throws(TraceError) -> TraceRecord {
        let whole = ByteStore(capacity: body.count + 24)
        encodeHead(kind: kind, timeDelta: time, connection: connection, into: whole)
        whole.append(body)
        var cursor = ByteCursor(whole.all)
        do {
            return try decode(&cursor, previousTime: 0)
        } catch {
            throw TraceError.corrupt(offset: Int64(error.position), reason: "staged record: \(error.reason)")
        }
    }
}
