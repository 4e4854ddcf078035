/// Why a trace could not be written or read. Each case says what to do next.
public struct TraceError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, with its details (the library's own code switches on it).
    package enum Kind: Sendable, Hashable {
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
    }

    /// Which error this is: compare with `==` (new codes may be added in a minor release, so
    /// never switch on it exhaustively).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }
        public static let io = Code("io")
        public static let notATrace = Code("notATrace")
        public static let unsupportedVersion = Code("unsupportedVersion")
        public static let corrupt = Code("corrupt")
        public static let compression = Code("compression")
        public static let writerClosed = Code("writerClosed")
        public static let invalidJSONLine = Code("invalidJSONLine")
        public static let outputIsInput = Code("outputIsInput")
        public static let recordingExists = Code("recordingExists")
    }

    package let kind: Kind
    package init(_ kind: Kind) { self.kind = kind }

    /// Which error this is (see ``Code``).
    public var errorCode: Code {
        switch kind {
        case .io: return .io
        case .notATrace: return .notATrace
        case .unsupportedVersion: return .unsupportedVersion
        case .corrupt: return .corrupt
        case .compression: return .compression
        case .writerClosed: return .writerClosed
        case .invalidJSONLine: return .invalidJSONLine
        case .outputIsInput: return .outputIsInput
        case .recordingExists: return .recordingExists
        }
    }

    /// A system call failed on `path`.
    public static func io(path: String, operation: String, errno: Int32) -> TraceError { TraceError(.io(path: path, operation: operation, errno: errno)) }
    /// The file does not start with a protoo trace header.
    public static func notATrace(path: String) -> TraceError { TraceError(.notATrace(path: path)) }
    /// The file was written by a newer format version.
    public static func unsupportedVersion(_ value0: UInt16) -> TraceError { TraceError(.unsupportedVersion(value0)) }
    /// The bytes at `offset` are damaged (checksum mismatch, impossible value, decompression failure).
    public static func corrupt(offset: Int64, reason: String) -> TraceError { TraceError(.corrupt(offset: offset, reason: reason)) }
    /// zstd refused to compress (out of memory or a bad parameter).
    public static func compression(_ value0: String) -> TraceError { TraceError(.compression(value0)) }
    /// The writer was already closed.
    public static let writerClosed = TraceError(.writerClosed)
    /// A JSON-lines trace has an invalid line.
    public static func invalidJSONLine(line: Int, reason: String) -> TraceError { TraceError(.invalidJSONLine(line: line, reason: reason)) }
    /// A tool was asked to write its output over one of its inputs (same file, whatever the spelling).
    public static func outputIsInput(output: String, input: String) -> TraceError { TraceError(.outputIsInput(output: output, input: input)) }
    /// A recording would replace an existing file (the first one, or one of its rotated files).
    public static func recordingExists(path: String) -> TraceError { TraceError(.recordingExists(path: path)) }

    public var description: String {
        switch kind {
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
