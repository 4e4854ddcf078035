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
        var errors = 0, harmless = 0
        let step = max(1, bytes.count / 1500)
        for position in stride(from: 0, to: bytes.count, by: step) {
            var damaged = bytes
            damaged[position] ^= 0x10
            try Data(damaged).write(to: URL(fileURLWithPath: damagedPath))
            var read: [TraceRecord] = []
            do {
                let reader = try TraceReader(path: damagedPath)
                while let r = try reader.next() { read.append(r) }
                // Only a flip zstd ignores (e.g. a larger window size) may pass, and then nothing may differ.
                #expect(read == records, "flip at \(position) gave wrong records without an error")
                #expect(reader.truncation == nil)
                harmless += 1
            } catch {
                errors += 1
                #expect(Array(records.prefix(read.count)) == read, "flip at \(position): records before the error are wrong")
                if case .corrupt(let offset, _) = error {
                    #expect(offset >= 0 && offset <= Int64(bytes.count), "flip at \(position): offset \(offset) outside the file")
                    #expect(offset >= Int64(position) - 200_000)
                }
            }
        }
        #expect(errors > 0)
        #expect(harmless * 50 < errors, "too many flips went unnoticed: \(harmless) of \(errors + harmless)")
    }
}
