/// The end of a binary trace as a reader finds it at open: the footer (last 24 bytes) and the
/// trailer it points at.
struct TraceTail {
    /// The trailer, when footer and trailer are intact.
    var trailer: TraceTrailer?
    /// Where the footer says the trailer is, when the footer is intact.
    var trailerOffset: Int64?
    /// The file ends in a footer-sized frame with the footer's magic (intact or not).
    var footerAtEnd = false
    /// What was damaged: the reader then reads the file like one without a footer.
    var damage: TraceDamage?

    /// Reads the footer and trailer of the file in `input` (its data starts at `dataStart`).
    /// No footer magic at the end: no trailer, no damage (a file cut off, or still being written).
    static func read(_ input: FileInput, dataStart: Int64) throws(TraceError) -> TraceTail {
        var tail = TraceTail()
        let footerSize = Int64(TraceFormat.footerSize)
        let footerOffset = input.size - footerSize
        guard footerOffset >= dataStart, let t = try input.read(at: footerOffset, count: Int(footerSize)) else { return tail }
        guard t[0] == 0x53, t[1] == 0x2A, t[2] == 0x4D, t[3] == 0x18 else { return tail }  // footer magic, LE
        tail.footerAtEnd = true
        do throws(TraceError) {
            let trailerOffset = try withBytes(t) { (t) throws(TraceError) -> Int64 in
                guard UInt32(littleEndian: t.loadUnaligned(fromByteOffset: 4, as: UInt32.self)) == UInt32(TraceFormat.footerPayloadSize) else {
                    throw TraceError.corrupt(offset: footerOffset + 4, reason: "footer size field is wrong")
                }
                return try MetadataCoding.decodeFooter(UnsafeRawBufferPointer(rebasing: t[8...]), offset: footerOffset + 8)
            }
            guard trailerOffset >= dataStart, trailerOffset + 8 <= footerOffset,
                  let head = try input.read(at: trailerOffset, count: 8) else {
                throw TraceError.corrupt(offset: footerOffset + 8, reason: "footer points outside the file")
            }
            tail.trailerOffset = trailerOffset
            let magic = UInt32(head[0]) | UInt32(head[1]) << 8 | UInt32(head[2]) << 16 | UInt32(head[3]) << 24
            let size = Int64(UInt32(head[4]) | UInt32(head[5]) << 8 | UInt32(head[6]) << 16 | UInt32(head[7]) << 24)
            guard magic == TraceFormat.trailerMagic, trailerOffset + 8 + size == footerOffset,
                  let payload = try input.read(at: trailerOffset + 8, count: Int(size)) else {
                throw TraceError.corrupt(offset: trailerOffset, reason: "footer does not point at a trailer")
            }
            tail.trailer = try withBytes(payload) { (p) throws(TraceError) in try MetadataCoding.decodeTrailer(p, offset: trailerOffset + 8) }
        } catch {
            guard case .corrupt(let offset, let reason) = error.kind else { throw error }
            tail.trailer = nil
            tail.damage = TraceDamage(offset: offset, reason: reason)
        }
        return tail
    }
}
