/// How a ``TraceWriter`` compresses and when it makes data durable.
public struct TraceWriterOptions: Sendable {
    /// zstd level (1…19). The default, 1, compresses conference traffic about 8.5× (as well as
    /// level 3 on this traffic) and keeps recording cheap on a busy server.
    public var compressionLevel: Int32
    /// A record block is compressed, flushed (`ZSTD_e_flush`) and written once it holds this many
    /// bytes: at most this much is lost if the process dies.
    public var flushBytes: Int
    /// A zstd frame is ended (and an index entry written) once it holds this many raw bytes;
    /// smaller frames make time seeks finer and compression slightly worse.
    public var frameBytes: Int
    /// Applied to every record before it is encoded; nothing unredacted reaches the file.
    public var redactor: TraceRedactor?

    public init(compressionLevel: Int32 = 1, flushBytes: Int = 256 * 1024, frameBytes: Int = 8 * 1024 * 1024,
                redactor: TraceRedactor? = nil) {
        self.compressionLevel = compressionLevel
        self.flushBytes = max(1, flushBytes)
        self.frameBytes = max(1, frameBytes)
        self.redactor = redactor
    }
}
