/// Anything records can be read from in order: a compressed trace or a JSON-lines file.
public protocol TraceRecordSource: AnyObject {
    /// The header (a default one for JSON lines without a header line).
    var header: TraceHeader { get }
    /// The next record, or `nil` at the end.
    func next() throws(TraceError) -> TraceRecord?
    /// Set once reading reached the end of a trace that ends early (cut by a crash or `head -c`).
    var truncation: TraceTruncation? { get }
    /// Damaged metadata the reader worked around without losing a record.
    var damages: [TraceDamage] { get }
    /// Set when the trace is a copy of one that ended early or was damaged (its trailer says so).
    var sourceEndedEarly: String? { get }
}

extension TraceRecordSource {
    public var truncation: TraceTruncation? { nil }
    public var damages: [TraceDamage] { [] }
    public var sourceEndedEarly: String? { nil }

    /// Why the records of this source stop short of what was recorded, if they do: where a
    /// truncated file stops being usable, or what a copy of a trace that ended early says.
    public var endedEarly: String? {
        if let t = truncation { return "at byte \(t.incompleteFrom): \(t.reason)" }
        return sourceEndedEarly.map { ": this is a copy of a trace that ended early (\($0))" }
    }
}

/// Anything records can be written to: a compressed trace or a JSON-lines file.
public protocol TraceRecordSink: AnyObject {
    func write(_ record: TraceRecord) throws(TraceError)
    /// Counts records the producer dropped.
    func recordDropped(_ count: UInt64)
    /// Says in the trailer that the records come from a trace that ended early or was damaged.
    func markSourceEndedEarly(_ reason: String)
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
