/// Why a trace could not be written or read. Each case says what to do next.
public enum TraceError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A system call failed on `path`.
    case io(path: String, operation: String, errno: Int32)
    /// The file does not start with a protoo trace header.
    case notATrace(path: String)
    /// The file was written by a newer format version.
    case unsupportedVersion(UInt16)
    /// The bytes at `offset` are damaged (checksum mismatch, impossible value, decompression failure).
    case corrupt(offset: Int64, reason: String)
    /// zstd refused to compress (out of memory or a bad parameter).
    case compression(String)
    /// The writer was already closed.
    case writerClosed
    /// A JSON-lines trace has an invalid line.
    case invalidJSONLine(line: Int, reason: String)
    /// A tool was asked to write its output over one of its inputs (same file, whatever the spelling).
    case outputIsInput(output: String, input: String)
    /// A recording would replace an existing file (the first one, or one of its rotated files).
    case recordingExists(path: String)

    public var description: String {
        switch self {
        case .io(let path, let op, let errno):
            return "\(op) failed on \(path) (errno \(errno)); check that the path exists and is writable/readable"
        case .notATrace(let path):
            return "\(path) is not a protoo trace (bad magic); use `protoo trace convert` for JSON lines"
        case .unsupportedVersion(let v):
            return "trace format version \(v) is newer than this reader supports (\(TraceHeader.currentFormatVersion)); upgrade protoo"
        case .corrupt(let offset, let reason):
            return "trace is corrupt at byte offset \(offset): \(reason); every record before it verified: "
                + "`protoo trace cut --salvage FILE -o COPY` copies them into a trace that says where it was cut "
                + "(and `protoo trace cat --skip-damaged FILE` also prints the intact frames after it)"
        case .compression(let reason):
            return "zstd compression failed: \(reason); check memory and the compression level"
        case .writerClosed:
            return "the trace writer is closed; open a new one"
        case .invalidJSONLine(let line, let reason):
            return "invalid JSON-lines trace at line \(line): \(reason); see docs/trace-format.md for the schema"
        case .recordingExists(let path):
            return "\(path) exists: a recording never replaces another; record to a new path, or pass --record-overwrite "
                + "(TraceRecorderConfiguration.overwritesExisting) to replace it"
        case .outputIsInput(let output, let input):
            return "the output \(output) is the input \(input) (the same file); write to another path, then rename it over the input if you mean to replace it"
        }
    }
}

/// How much of a trace was lost because the file ends early (the writer crashed or was killed).
public struct TraceTruncation: Sendable, Hashable, CustomStringConvertible {
    /// File offset of the first byte that could not be used.
    public var incompleteFrom: Int64
    /// Bytes from there to the end of the file.
    public var lostFileBytes: Int64
    /// Decompressed bytes of a partial record block that had to be dropped.
    public var lostDecodedBytes: Int64
    /// What was incomplete.
    public var reason: String

    public var description: String {
        "trace ends early: \(reason) (from byte \(incompleteFrom): \(lostFileBytes) file bytes, \(lostDecodedBytes) decoded bytes unusable)"
    }
}
