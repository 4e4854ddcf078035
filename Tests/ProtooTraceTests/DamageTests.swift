import Foundation
import Protoo
import Testing
@testable import ProtooTrace

/// Truncated and corrupted files: complete prefixes and typed errors, never garbage or a crash.
@Suite struct DamageTests {
    let records = numberedRecords(600) + everyKind.map { TraceRecord(time: 700_000_000, connection: $0.connection, event: $0.event) }

    private func fileBytes() throws -> (path: String, bytes: [UInt8]) {
        let path = temporaryPath("full.ptrace")
        try writeTrace(records, to: path, flushBytes: 700, frameBytes: 3000)
        return (path, Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    @Test func aCutFileReadsItsCompletePrefixAndReportsTheLoss() throws {
        let (_, bytes) = try fileBytes()
        let headerEnd = 8 + Int(UInt32(bytes[4]) | UInt32(bytes[5]) << 8 | UInt32(bytes[6]) << 16 | UInt32(bytes[7]) << 24)
        let cutPath = temporaryPath("cut.ptrace")
        var longestPrefix = 0
        var positions = Array(stride(from: headerEnd, to: bytes.count, by: max(1, (bytes.count - headerEnd) / 300)))
        positions += [bytes.count - 1, bytes.count - TraceFormat.footerSize, headerEnd]
        for cut in positions {
            try Data(bytes[0..<cut]).write(to: URL(fileURLWithPath: cutPath))
            let reader = try TraceReader(path: cutPath)
            #expect(reader.trailer == nil)
            let read = try reader.readAll()
            #expect(Array(records.prefix(read.count)) == read, "cut at \(cut): records are not a prefix")
            let truncation = try #require(reader.truncation, "cut at \(cut) not reported")
            #expect(truncation.incompleteFrom <= Int64(cut))
            longestPrefix = max(longestPrefix, read.count)
        }
        #expect(longestPrefix == records.count)
    }

    @Test func aCutInsideTheHeaderIsAnError() throws {
        let (_, bytes) = try fileBytes()
        let cutPath = temporaryPath("cut.ptrace")
        for cut in [0, 3, 8, 20] {
            try Data(bytes[0..<cut]).write(to: URL(fileURLWithPath: cutPath))
            #expect(throws: TraceError.self) { try TraceReader(path: cutPath) }
        }
    }

    @Test func aFlippedByteGivesAnErrorWithItsOffsetNeverWrongRecords() throws {
        let (_, bytes) = try fileBytes()
        let damagedPath = temporaryPath("damaged.ptrace")
        var errors = 0, noted = 0, harmless = 0
        let step = max(1, bytes.count / 1500)
        for position in stride(from: 0, to: bytes.count, by: step) {
            var damaged = bytes
            damaged[position] ^= 0x10
            try Data(damaged).write(to: URL(fileURLWithPath: damagedPath))
            var read: [TraceRecord] = []
            do {
                let reader = try TraceReader(path: damagedPath)
                while let r = try reader.next() { read.append(r) }
                // Damaged metadata costs no record; otherwise only a flip zstd ignores may pass.
                #expect(read == records, "flip at \(position) gave wrong records without an error")
                #expect(reader.truncation == nil)
                if reader.damages.isEmpty { harmless += 1 } else { noted += 1 }
            } catch {
                errors += 1
                #expect(Array(records.prefix(read.count)) == read, "flip at \(position): records before the error are wrong")
                if case .corrupt(let offset, _) = error.kind {
                    #expect(offset >= 0 && offset <= Int64(position), "flip at \(position): offset \(offset) is not at or before the damage: \(error)")
                }
            }
        }
        #expect(errors > 0)
        #expect(noted > 0)
        #expect(harmless * 50 < errors + noted, "too many flips went unnoticed: \(harmless) of \(errors + noted + harmless)")
    }

    /// One record per zstd block, small frames: every structural boundary is known exactly.
    private func layoutFile() throws -> (records: [TraceRecord], bytes: [UInt8], layout: TraceLayout) {
        let records = numberedRecords(240)
        let path = temporaryPath("layout.ptrace")
        try writeTrace(records, to: path, flushBytes: 1, frameBytes: 2500)
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let layout = TraceLayout(bytes)
        return (records, bytes, layout)
    }

    /// Reads `bytes` as a trace: the records up to the end or the first error, and the reader.
    private func read(_ bytes: [UInt8]) throws -> (records: [TraceRecord], error: TraceError?, reader: TraceReader?) {
        let path = temporaryPath("case.ptrace")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        var read: [TraceRecord] = []
        let reader: TraceReader
        do { reader = try TraceReader(path: path) } catch { return ([], error, nil) }
        do {
            while let r = try reader.next() { read.append(r) }
            return (read, nil, reader)
        } catch {
            return (read, error, reader)
        }
    }

    /// Every record ``TraceReader/skipDamage(after:)`` lets through.
    private func readSkippingDamage(_ bytes: [UInt8]) throws -> [TraceRecord] {
        let path = temporaryPath("skip.ptrace")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let reader = try TraceReader(path: path)
        var read: [TraceRecord] = []
        var skips = 0
        while true {
            do {
                guard let r = try reader.next() else { return read }
                read.append(r)
            } catch {
                skips += 1
                guard skips < 100, try reader.skipDamage(after: error) != nil else { return read }
            }
        }
    }

    /// A cut at (and next to) every block, frame, index, trailer and footer boundary reads
    /// exactly the records of the blocks before the cut, reports the truncation, and never throws.
    @Test func aCutAtEveryStructuralBoundaryRecoversEveryCompleteBlock() throws {
        let (records, bytes, layout) = try layoutFile()
        #expect(layout.frames.count >= 5)
        #expect(layout.recordsBefore(layout.size) == records.count, "one record per zstd block")
        var cuts = Set<Int64>()
        for b in layout.boundaries where b > layout.headerEnd { cuts.formUnion([b - 1, b, b + 1].filter { $0 < layout.size }) }
        for cut in cuts.sorted() {
            let result = try read(Array(bytes[0..<Int(cut)]))
            let place = layout.structure(at: cut).name
            #expect(result.error == nil, "cut at \(cut) (\(place)): \(String(describing: result.error))")
            #expect(Array(records.prefix(result.records.count)) == result.records, "cut at \(cut) (\(place)): not a prefix")
            #expect(result.records.count == layout.recordsBefore(cut), "cut at \(cut) (\(place)): a complete block was lost")
            let truncation = try #require(result.reader?.truncation, "cut at \(cut) (\(place)) not reported")
            #expect(truncation.incompleteFrom <= cut)
        }
    }

    /// A flipped byte at every boundary. Damage to the records stops the
    /// reader with an error whose offset is at or before the flipped byte and no further back than
    /// the zstd block before it (whose header may have placed the damaged one), after every record of
    /// the blocks before the damaged structure; damage to an index frame, the trailer or the footer costs no record and is reported.
    @Test func aFlippedByteAtEveryStructuralBoundaryIsNamedAndCostsOnlyWhatItDamaged() throws {
        let (records, bytes, layout) = try layoutFile()
        var cases = 0
        for position in Set(layout.boundaries).sorted() where position >= layout.headerEnd {
            for bit: UInt8 in [0x01, 0x10, 0x80] {
                var damaged = bytes
                damaged[Int(position)] ^= bit
                let result = try read(damaged)
                let (place, start, previous, isMetadata) = layout.structure(at: position)
                let what = "flip 0x\(String(bit, radix: 16)) at \(position) (\(place) from \(start))"
                cases += 1
                #expect(Array(records.prefix(result.records.count)) == result.records, "\(what): not a prefix")
                // A frame header's descriptor and window bytes: the trace header holds a checksummed copy.
                // A checksum whose frame's record blocks all verified: the damage is the checksum's.
                let repairable = (place.hasSuffix("zstd header") && position >= start + 4) || place.hasSuffix("checksum")
                if isMetadata || repairable {
                    #expect(result.error == nil, "\(what): \(String(describing: result.error))")
                    #expect(result.records.count == records.count, "\(what): a record was lost")
                    let damages = result.reader?.damages ?? []
                    #expect(damages.contains { $0.offset >= start && $0.offset <= position }, "\(what): damage not reported at it: \(damages)")
                    continue
                }
                let recoverable = layout.recordsBefore(start)
                #expect(result.records.count >= recoverable, "\(what): \(result.records.count) records, \(recoverable) were verifiable")
                guard let error = result.error else {
                    // Only a flip that changes nothing zstd decodes may pass, and then every record is there.
                    #expect(result.records == records, "\(what): no error but records differ")
                    continue
                }
                guard case .corrupt(let offset, _) = error.kind else { Issue.record("\(what): \(error)"); continue }
                // At or before the damage: the damaged structure, or the one whose block header placed it.
                #expect(offset >= previous && offset <= position, "\(what): error at \(offset), not in \(previous)...\(position): \(error)")
                // Skipping the damaged frame, every later frame's records are read as well.
                let skipped = try readSkippingDamage(damaged)
                let later = records.count - layout.recordsBefore(layout.frames.first { $0.end > position }?.end ?? layout.size)
                let head = skipped.count - later
                #expect(head >= result.records.count, "\(what): skipping lost records before the damage")
                #expect(Array(skipped.prefix(max(0, head))) == Array(records.prefix(max(0, head))), "\(what): skipping, the records before the gap are wrong")
                #expect(Array(skipped.suffix(later)) == Array(records.suffix(later)), "\(what): skipping, a later frame's records are missing")
            }
        }
        #expect(cases > 1000)
    }
}
