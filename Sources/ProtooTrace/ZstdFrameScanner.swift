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
