/// Measures a zstd frame's compressed length from its frame and block headers, without
/// decompressing: lets a reader find the index of a trace that has no trailer.
enum ZstdFrameScanner {
    /// The length of the zstd frame at `offset`, or `nil` when the file ends inside it.
    static func frameLength(in input: FileInput, at offset: Int64) throws(TraceError) -> Int64? {
        guard let head = try input.read(at: offset, count: 5) else { return nil }
        let descriptor = head[4]
        let fcsFlag = Int(descriptor >> 6)
        let singleSegment = (descriptor >> 5) & 1 == 1
        let hasChecksum = (descriptor >> 2) & 1 == 1
        guard (descriptor >> 3) & 1 == 0 else { throw TraceError.corrupt(offset: offset + 4, reason: "zstd frame header has the reserved bit set") }
        var position = offset + 5
        if !singleSegment { position += 1 }
        position += [0, 1, 2, 4][Int(descriptor & 3)]
        position += fcsFlag == 0 ? (singleSegment ? 1 : 0) : [0, 2, 4, 8][fcsFlag]
        while true {
            guard let b = try input.read(at: position, count: 3) else { return nil }
            let h = UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16
            let last = h & 1 == 1
            let type = (h >> 1) & 3
            let size = Int64(h >> 3)
            guard type != 3 else { throw TraceError.corrupt(offset: position, reason: "zstd block of reserved type") }
            position += 3 + (type == 1 ? 1 : size)
            if position > input.size { return nil }
            if last { break }
        }
        if hasChecksum { position += 4 }
        return position > input.size ? nil : position - offset
    }
}

extension ZstdFrameScanner {
    /// The length of a frame header (magic included) with this frame header descriptor.
    static func headerLength(descriptor: UInt8) -> Int {
        let singleSegment = (descriptor >> 5) & 1 == 1
        let fcsFlag = Int(descriptor >> 6)
        return 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][Int(descriptor & 3)]
            + (fcsFlag == 0 ? (singleSegment ? 1 : 0) : [0, 2, 4, 8][fcsFlag])
    }

    /// Why a frame header descriptor cannot be one a ``TraceWriter`` wrote, or `nil`. zstd itself
    /// ignores the unused bit and accepts frames without a checksum or with a dictionary id flag it
    /// then fails on; a trace writer sets the checksum flag and nothing else of these.
    static func descriptorProblem(_ descriptor: UInt8) -> String? {
        if (descriptor >> 3) & 1 == 1 { return "the reserved bit is set" }
        if (descriptor >> 4) & 1 == 1 { return "the unused bit is set (a trace writer never sets it)" }
        if (descriptor >> 2) & 1 == 0 { return "the checksum flag is clear (a trace writer always sets it)" }
        if descriptor & 3 != 0 { return "it names a dictionary (a trace writer uses none)" }
        return nil
    }
}
