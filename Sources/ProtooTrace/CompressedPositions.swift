/// Where a ``TraceReader`` is inside a zstd frame, segment by segment (the frame header, each zstd
/// block, the content checksum), and which segment produced which decoded bytes.
///
/// The reader feeds zstd one segment at a time, so an error names the compressed bytes that hold
/// the damage: a zstd error is in the segment being fed; a record block that fails its checksum was
/// decoded from the segments from the one that produced its first byte up to the read position.
struct CompressedPositions {
    enum Segment { case frameHeader, block, checksum }

    /// The segment being fed: file offsets `start..<end`.
    private(set) var start: Int64 = 0
    private(set) var end: Int64 = 0
    private(set) var segment = Segment.frameHeader
    /// The start of the segment before this one: the header there placed this one, so damage
    /// reported in this segment may lie from there on.
    private(set) var previousStart: Int64 = 0
    private var lastBlock = false
    /// `(decoded, fileOffset)`: decoded bytes from `decoded` on came from the segment at `fileOffset`.
    private var marks: [(decoded: Int, fileOffset: Int64)] = []
    /// The last call filled its output: what it had not written yet comes from the same segment.
    private var carry: Int64?

    /// Starts a frame at `offset` whose header is `headerLength` bytes.
    mutating func enterFrame(at offset: Int64, headerLength: Int) {
        start = offset
        previousStart = offset
        end = offset + Int64(headerLength)
        segment = .frameHeader
        lastBlock = false
        marks.removeAll(keepingCapacity: true)
        carry = nil
    }

    /// Whether the next segment is a block (whose 3-byte header ``advance(blockHeader:frameStart:)``
    /// needs) rather than the checksum.
    var blockHeaderNext: Bool { !lastBlock }

    /// Moves to the segment after the current one, given the 3-byte zstd block header that starts
    /// it (ignored when the checksum comes next). Throws for a block header no encoder writes.
    mutating func advance(blockHeader h: UInt32, frameStart: Int64) throws(TraceError) {
        let offset = end
        previousStart = start
        if lastBlock {
            start = offset
            end = offset + 4
            segment = .checksum
            return
        }
        let type = (h >> 1) & 3
        let size = Int64(h >> 3)
        // A header no writer writes: damaged itself, or misplaced by a damaged size in the block
        // header before it; the error names the earlier one (at or before the damage).
        func damaged(_ what: String) -> TraceError {
            TraceError.corrupt(offset: previousStart, reason: "zstd block header at \(offset) \(what) (frame at \(frameStart)): "
                               + "damage in it or in the block from \(previousStart) that places it")
        }
        guard type != 3 else { throw damaged("has the reserved type") }
        guard size <= 128 * 1024 else { throw damaged("says \(size) bytes, more than a block holds") }
        // A trace writer ends every frame on an empty raw block (`ZSTD_e_end` after a flush): a last
        // block with data is a damaged block header (its last bit), not a short frame.
        guard h & 1 == 0 || (type == 0 && size == 0) else {
            throw damaged("marks a block of \(size) bytes as the frame's last (a trace writer ends each frame on an empty block)")
        }
        start = offset
        end = offset + 3 + (type == 1 ? 1 : size)
        segment = .block
        lastBlock = h & 1 == 1
    }

    /// Notes that one call fed from the current segment wrote `count` decoded bytes at `decodedStart`
    /// and whether it filled its output.
    mutating func produced(decodedStart: Int, count: Int, outputFull: Bool) {
        if count > 0 {
            let origin = carry ?? start
            if marks.last?.fileOffset != origin { marks.append((decodedStart, origin)) }
        }
        carry = outputFull ? (carry ?? start) : nil
    }

    /// The reader dropped its first `n` decoded bytes.
    mutating func dropDecoded(_ n: Int) {
        guard n > 0, !marks.isEmpty else { return }
        // Keep the last mark at or before `n` (it produced byte `n`) and every one after it.
        let firstKept = (marks.lastIndex(where: { $0.decoded <= n }) ?? 0)
        if firstKept > 0 { marks.removeFirst(firstKept) }
        for i in marks.indices { marks[i].decoded = max(0, marks[i].decoded - n) }
    }

    /// The file offset of the segment that produced decoded byte `p` (`fallback` if unknown).
    func origin(ofDecoded p: Int, fallback: Int64) -> Int64 {
        marks.last(where: { $0.decoded <= p })?.fileOffset ?? fallback
    }

    /// Where damage that zstd reports in the current segment lies: from the start of the segment
    /// before (whose block header placed this one) to the end of this one.
    var damageStart: Int64 { segment == .frameHeader ? start : previousStart }

    /// "the zstd block at a..<b (or the block header at c that placed it)" and the like, for messages.
    var segmentDescription: String {
        let placed = segment == .frameHeader ? "" : " (or the block header at \(previousStart) before it)"
        switch segment {
        case .frameHeader: return "zstd frame header at bytes \(start)..<\(end)"
        case .block: return "zstd block at bytes \(start)..<\(end)\(placed)"
        case .checksum: return "zstd content checksum at bytes \(start)..<\(end)\(placed)"
        }
    }
}
