/// Damage a reader worked around without losing a record: a trailer, footer or index frame that
/// failed its checks (the reader then finds the frames by a forward scan; only what the damaged
/// frame said — the O(1) index, the producer's counters — is gone), or a zstd frame header that
/// differs from the copy in the trace header (decoded with the copy). Every record block is
/// verified as usual.
public struct TraceDamage: Sendable, Hashable, CustomStringConvertible {
    /// File offset of the damaged frame (or of the damaged field inside it).
    public var offset: Int64
    /// What failed.
    public var reason: String

    public init(offset: Int64, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String {
        "trace metadata is damaged at byte offset \(offset): \(reason); no record was lost (every record block verified); "
            + "`protoo trace convert FILE COPY` writes a copy with intact metadata"
    }
}
