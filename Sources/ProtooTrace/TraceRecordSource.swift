/// Anything records can be read from in order: a compressed trace or a JSON-lines file.
public protocol TraceRecordSource: AnyObject {
    /// The header (a default one for JSON lines without a header line).
    var header: TraceHeader { get }
    /// The next record, or `nil` at the end.
    func next() throws(TraceError) -> TraceRecord?
}

/// Anything records can be written to: a compressed trace or a JSON-lines file.
public protocol TraceRecordSink: AnyObject {
    func write(_ record: TraceRecord) throws(TraceError)
    /// Counts records the producer dropped.
    func recordDropped(_ count: UInt64)
    /// Finishes the file.
    @discardableResult
    func close(endTime: Int64?) throws(TraceError) -> TraceTrailer
}

extension TraceReader: TraceRecordSource {}
extension TraceWriter: TraceRecordSink {}

/// Opens trace files by extension: `.jsonl` is JSON lines, anything else (`.ptrace`, `.ptrace.zst`) binary.
public enum TraceFiles {
    /// `true` for a JSON-lines path.
    public static func isJSONLines(_ path: String) -> Bool { path.hasSuffix(".jsonl") }

    /// A reader for `path`.
    public static func openSource(_ path: String) throws(TraceError) -> any TraceRecordSource {
        isJSONLines(path) ? try JSONLinesTraceReader(path: path) : try TraceReader(path: path)
    }

    /// A writer for `path`.
    public static func createSink(_ path: String, header: TraceHeader, options: TraceWriterOptions = TraceWriterOptions()) throws(TraceError) -> any TraceRecordSink {
        isJSONLines(path) ? try JSONLinesTraceWriter(path: path, header: header) : try TraceWriter(path: path, header: header, options: options)
    }
}
