import Foundation
import Protoo
import Testing
@testable import ProtooTrace

@Suite struct SeekAndCompressionTests {
    @Test func seekByTimeReturnsExactlyTheLaterRecords() throws {
        let records = numberedRecords(3000)
        for close in [true, false] {
            let path = temporaryPath("seek.ptrace")
            try writeTrace(records, to: path, flushBytes: 1024, frameBytes: 8192, close: close)
            let reader = try TraceReader(path: path)
            let index = try reader.indexEntries()
            #expect(index.count > 10)
            #expect(index.map(\.recordCount).reduce(0, +) == UInt64(records.count) || !close)
            for target in [Int64(0), 1_234_567_890, 2_999_000_000, 2_999_000_001, 5_000_000_000] {
                try reader.seek(toTime: target)
                let got = try reader.readAll()
                #expect(got == records.filter { $0.time >= target }, "seek to \(target), complete: \(close)")
            }
            reader.rewind()
            #expect(try reader.readAll() == records)
        }
    }

    @Test func seekSkipsFramesBeforeTheTarget() throws {
        let records = numberedRecords(3000)
        let path = temporaryPath("seek.ptrace")
        let trailer = try #require(try writeTrace(records, to: path, flushBytes: 1024, frameBytes: 8192))
        let reader = try TraceReader(path: path)
        try reader.seek(toTime: 2_500_000_000)
        _ = try reader.readAll()
        // Only the frames from the target on were decoded: records skipped inside the first frame are few.
        let perFrame = trailer.index.map(\.recordCount).max() ?? 0
        #expect(reader.recordsRead == 500)
        #expect(trailer.index.first { $0.lastTime >= 2_500_000_000 }.map { $0.firstTime > 2_500_000_000 - Int64(perFrame) * 1_000_000 } == true)
    }

    @Test func conferenceTrafficCompressesAtLeastEightTimes() throws {
        var generator = ConferenceTrafficGenerator(seed: 11, rooms: 3, peersPerRoom: 6, seconds: 600)
        let records = generator.generate()
        let path = temporaryPath("conf.ptrace")
        let writer = try TraceWriter(path: path, header: testHeader)
        for r in records { try writer.write(r) }
        let trailer = try writer.close()
        let fileSize = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        let textBytes = records.reduce(0) { n, r in
            switch r.event {
            case .messageIn(let t), .messageOut(let t): return n + t.utf8.count
            default: return n
            }
        }
        #expect(records.count > 20_000)
        #expect(Double(trailer.rawBytes) / Double(fileSize) >= 8, "encoded \(trailer.rawBytes) B → file \(fileSize) B")
        #expect(Double(textBytes) / Double(fileSize) >= 8, "message text \(textBytes) B → file \(fileSize) B")
    }
}
