import Foundation
@testable import ProtooTrace

/// Where every structure of a binary trace lies: the header frame, each data frame (its zstd frame
/// header, blocks and checksum), each index frame, the trailer and the footer. Walked from the
/// bytes with the format's own rules, so damage tests can aim at every boundary.
struct TraceLayout {
    struct Block {
        var start: Int64
        var end: Int64
        /// Records decoded from this zstd block (the tests write one record per block; the empty
        /// block that ends a frame holds none).
        var records: Int
    }

    struct DataFrame {
        var start: Int64
        var headerEnd: Int64
        var blocks: [Block]
        var checksum: Int64
        var end: Int64
        /// The index frame after it: `index..<index + 56`.
        var index: Int64
    }

    var size: Int64
    var headerEnd: Int64
    var frames: [DataFrame] = []
    var trailer: Int64 = 0
    var footer: Int64 = 0

    init(_ bytes: [UInt8]) {
        func le32(_ at: Int64) -> UInt32 {
            let i = Int(at)
            return UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
        }
        size = Int64(bytes.count)
        headerEnd = 8 + Int64(le32(4))
        var position = headerEnd
        while position < size {
            let magic = le32(position)
            if magic == TraceFormat.zstdMagic {
                let headerLength = Int64(ZstdFrameScanner.headerLength(descriptor: bytes[Int(position) + 4]))
                var frame = DataFrame(start: position, headerEnd: position + headerLength, blocks: [], checksum: 0, end: 0, index: 0)
                var p = frame.headerEnd
                while true {
                    let h = UInt32(bytes[Int(p)]) | UInt32(bytes[Int(p) + 1]) << 8 | UInt32(bytes[Int(p) + 2]) << 16
                    let type = (h >> 1) & 3, blockSize = Int64(h >> 3)
                    let end = p + 3 + (type == 1 ? 1 : blockSize)
                    frame.blocks.append(Block(start: p, end: end, records: blockSize == 0 && type == 0 ? 0 : 1))
                    p = end
                    if h & 1 == 1 { break }
                }
                frame.checksum = p
                frame.end = p + 4
                frame.index = frame.end
                frames.append(frame)
                position = frame.end + Int64(TraceFormat.frameHeaderSize + TraceFormat.indexPayloadSize)
            } else if magic == TraceFormat.trailerMagic {
                trailer = position
                position += 8 + Int64(le32(position + 4))
            } else {
                footer = position
                position += Int64(TraceFormat.footerSize)
            }
        }
    }

    /// Records whose blocks lie wholly before `offset`: what a reader can verify when the file is
    /// cut there, or damaged from there on.
    func recordsBefore(_ offset: Int64) -> Int {
        frames.flatMap(\.blocks).filter { $0.end <= offset }.map(\.records).reduce(0, +)
    }

    /// The structure holding `offset`: its name, where it starts, and where the one before it in
    /// its zstd frame starts (whose block header placed it).
    func structure(at offset: Int64) -> (name: String, start: Int64, previous: Int64, isMetadata: Bool) {
        if offset < headerEnd { return ("header frame", 0, 0, false) }
        for (k, f) in frames.enumerated() {
            if offset < f.start { break }
            if offset < f.headerEnd { return ("frame \(k) zstd header", f.start, f.start, false) }
            if let b = f.blocks.firstIndex(where: { offset >= $0.start && offset < $0.end }) {
                return ("frame \(k) block \(b)", f.blocks[b].start, b == 0 ? f.start : f.blocks[b - 1].start, false)
            }
            if offset >= f.checksum && offset < f.end { return ("frame \(k) checksum", f.checksum, f.blocks.last!.start, false) }
            if offset >= f.index && offset < f.index + 56 { return ("frame \(k) index", f.index, f.index, true) }
        }
        if offset >= footer { return ("footer", footer, footer, true) }
        return ("trailer", trailer, trailer, true)
    }

    /// Offsets worth damaging or cutting at: the first bytes, a middle byte and the last byte of
    /// every structure (every byte of the small ones).
    var boundaries: [Int64] {
        var all: [Int64] = []
        func span(_ start: Int64, _ end: Int64, every: Bool = false) {
            if every || end - start <= 12 { all += Array(start..<end); return }
            all += [start, start + 1, start + 2, start + 3, start + 4, start + 5, start + 8, (start + end) / 2, end - 1]
        }
        for f in frames {
            span(f.start, f.headerEnd, every: true)
            for b in f.blocks { span(b.start, b.end) }
            span(f.checksum, f.end, every: true)
            span(f.index, f.index + 56)
        }
        span(trailer, footer)
        span(footer, size, every: true)
        return all
    }
}
