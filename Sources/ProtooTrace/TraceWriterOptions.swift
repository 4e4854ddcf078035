/// How a ``TraceWriter`` compresses and when it makes data durable.
public struct TraceWriterOptions: Sendable {
    /// zstd level (1…19, or negative for zstd's faster levels). The default, 1, compresses conference traffic about 8.5× (as well as
    /// level 3 on this traffic) and keeps recording cheap on a busy server.
    public var compressionLevel: Int32
    /// zstd's match-finder hash table, as a power of two (`ZSTD_c_hashLog`); `nil` keeps the
    /// level's own. The default, 12 (a 16 kB table that stays in the CPU cache), compresses
    /// recorded traffic 10–15 % faster than level 1's default with the same ratio (measured on
    /// conference and echo traces with `zstd -b1 --zstd=hlog=12`). Use `nil` with levels above 3.
    public var hashLog: Int32?
    /// A record block is compressed, flushed (`ZSTD_e_flush`) and written once it holds this many
    /// bytes: at most this much is lost if the process dies.
    public var flushBytes: Int
    /// A zstd frame is ended (and an index entry written) once it holds this many raw bytes;
    /// smaller frames make time seeks finer and compression slightly worse.
    public var frameBytes: Int
    /// Applied to every record before it is encoded; nothing unredacted reaches the file.
    public var redactor: TraceRedactor?

    public init(compressionLevel: Int32 = 1, hashLog: Int32? = 12, flushBytes: Int = 256 * 1024,
                frameBytes: Int = 8 * 1024 * 1024, redactor: TraceRedactor? = nil) {
        self.compressionLevel = compressionLevel
        self.hashLog = hashLog
        self.flushBytes = max(1, flushBytes)
        self.frameBytes = max(1, frameBytes)
        self.redactor = redactor
    }
}
