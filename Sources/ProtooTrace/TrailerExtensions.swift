/// Optional trailer fields after the frame index (format version 1, added compatibly): a sequence
/// of `tag varint, length varint, length bytes` up to the CRC. Readers that predate them stop after
/// the index and never look; readers skip tags they do not know; old trailers have none.
///
/// | tag | field | value |
/// |---|---|---|
/// | 1 | recorder peak buffered bytes | varint |
/// | 2 | recorder buffer bound (bytes) | varint |
/// | 3 | recorder blocked records | varint |
/// | 4 | source ended early (salvaged copy) | UTF-8 reason |
enum TrailerExtensions {
    static let peakBufferedBytes: UInt64 = 1
    static let bufferBytes: UInt64 = 2
    static let blockedRecords: UInt64 = 3
    static let sourceEndedEarly: UInt64 = 4

    static func encode(_ t: TraceTrailer, into p: ByteStore) {
        if let r = t.recorder {
            appendVarintField(peakBufferedBytes, r.peakBufferedBytes, to: p)
            appendVarintField(bufferBytes, r.bufferBytes, to: p)
            appendVarintField(blockedRecords, r.blockedRecords, to: p)
        }
        if let reason = t.sourceEndedEarly {
            p.appendVarint(sourceEndedEarly)
            p.appendString(reason)
        }
    }

    static func decode(_ c: inout ByteCursor, into t: inout TraceTrailer) throws(CursorError) {
        var recorder = TraceRecorderStatistics(peakBufferedBytes: 0, bufferBytes: 0)
        var sawRecorder = false
        while c.remaining > 0 {
            let tag = try c.varint()
            let length = try c.varint()
            guard length <= UInt64(c.remaining) else {
                throw CursorError(position: c.position, reason: "trailer field \(tag) of \(length) bytes runs past the end")
            }
            let end = c.position + Int(length)
            var field = ByteCursor(base: c.base, position: c.position, end: end)
            switch tag {
            case peakBufferedBytes: recorder.peakBufferedBytes = try field.varint(); sawRecorder = true
            case bufferBytes: recorder.bufferBytes = try field.varint(); sawRecorder = true
            case blockedRecords: recorder.blockedRecords = try field.varint(); sawRecorder = true
            case sourceEndedEarly:
                t.sourceEndedEarly = String(decoding: UnsafeBufferPointer(start: c.base + c.position, count: Int(length)), as: UTF8.self)
            default: break  // a later addition: skipped
            }
            c.position = end
        }
        if sawRecorder { t.recorder = recorder }
    }

    private static func appendVarintField(_ tag: UInt64, _ value: UInt64, to p: ByteStore) {
        p.appendVarint(tag)
        let v = ByteStore(capacity: 16)
        v.appendVarint(value)
        p.appendVarint(UInt64(v.count))
        p.append(v.all)
    }
}
