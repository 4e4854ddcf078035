/// What a ``TraceRecorder`` does when its buffer is full (``TraceRecorderConfiguration/capacity``
/// records or ``TraceRecorderConfiguration/bufferBytes`` bytes).
public enum TraceOverflowPolicy: Sendable, Hashable {
    /// Drop the new record and count it (the count goes into the trailer). Never blocks the event loop.
    case dropNewest
    /// Wait until the writer thread makes room (back-pressure on the event loop; no loss).
    case block
}

/// Settings of a ``TraceRecorder``.
public struct TraceRecorderConfiguration: Sendable {
    /// The default ``bufferBytes``: 64 MiB.
    public static let defaultBufferBytes = 64 << 20

    /// Path of the first file: `.jsonl` records JSON lines, anything else the binary format
    /// (`.ptrace.zst`). Rotated files insert `.0001`, `.0002`, … before the extension.
    public var path: String
    /// Header template; each file gets the wall-clock time it was created.
    public var header: TraceHeader
    /// Compression, block size (also the size flush threshold), frame size, redaction.
    public var writerOptions: TraceWriterOptions
    /// Records the buffer holds before the overflow policy applies.
    public var capacity: Int
    /// Bytes the buffer holds before the overflow policy applies (default 64 MiB): the records
    /// staged and the batch the writer thread is compressing count together, so this bounds the
    /// recorder's memory whatever the message sizes. A record larger than the bound is taken only
    /// when nothing else is staged. The peak goes into each file's trailer.
    public var bufferBytes: Int
    /// Drop-with-counter or block.
    public var overflowPolicy: TraceOverflowPolicy
    /// The writer thread flushes at least this often (wall time), so a crash loses at most this window.
    public var flushInterval: Duration
    /// Start a new file once the current one holds this many bytes.
    public var rotateBytes: Int64?
    /// Start a new file once the current one spans this much trace time.
    public var rotateInterval: Duration?
    /// Request headers kept in `connectionRequested` records (lower-case names); others are not
    /// recorded. `cookie` and `authorization` are kept by default, so that a live replay can send
    /// them again; drop them with ``TraceRedactor/stripHeaders(_:)`` (`--record-redact cookie`).
    public var recordedHeaders: Set<String>
    /// Replace an existing file at ``path`` (and its rotated files); by default the recorder
    /// refuses to start over one (``TraceError/recordingExists(path:)``).
    public var overwritesExisting = false

    public init(path: String, header: TraceHeader, writerOptions: TraceWriterOptions = TraceWriterOptions(),
                capacity: Int = 65_536, bufferBytes: Int = TraceRecorderConfiguration.defaultBufferBytes,
                overflowPolicy: TraceOverflowPolicy = .dropNewest,
                flushInterval: Duration = .seconds(1), rotateBytes: Int64? = nil, rotateInterval: Duration? = nil,
                recordedHeaders: Set<String> = ["origin", "user-agent", "x-forwarded-for", "sec-websocket-protocol", "cookie", "authorization"]) {
        self.path = path
        self.header = header
        self.writerOptions = writerOptions
        self.capacity = max(1, capacity)
        self.bufferBytes = max(1, bufferBytes)
        self.overflowPolicy = overflowPolicy
        self.flushInterval = flushInterval
        self.rotateBytes = rotateBytes
        self.rotateInterval = rotateInterval
        self.recordedHeaders = Set(recordedHeaders.map { $0.lowercased() })
    }
}

/// Names of rotated trace files.
public enum TraceFileNaming {
    /// `base` for index 0; otherwise `.NNNN` inserted before `.ptrace.zst`, `.ptrace` or `.jsonl`.
    public static func path(base: String, index: Int) -> String {
        guard index > 0 else { return base }
        var number = String(index)
        if number.count < 4 { number = String(repeating: "0", count: 4 - number.count) + number }
        for ext in [".ptrace.zst", ".ptrace", ".zst", ".jsonl"] where base.hasSuffix(ext) {
            return String(base.dropLast(ext.count)) + "." + number + ext
        }
        return base + "." + number
    }
}
