import Foundation
import Protoo
import Testing
@testable import ProtooTrace

@Suite struct RoundTripTests {
    @Test func crc32cMatchesTheStandardCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test func everyKindRoundTripsThroughTheBinaryFormat() throws {
        let path = temporaryPath("all.ptrace")
        let trailer = try #require(try writeTrace(everyKind, to: path))
        let reader = try TraceReader(path: path)
        #expect(reader.header == testHeader)
        #expect(try reader.readAll() == everyKind)
        #expect(reader.truncation == nil)
        #expect(reader.trailer == trailer)
        #expect(trailer.totalRecords == UInt64(everyKind.count))
        #expect(trailer.recordCounts[.closed] == 3)
    }

    @Test func everyKindRoundTripsThroughJSONLines() throws {
        for record in everyKind {
            let line = TraceJSONLines.encode(record)
            #expect(!line.contains("\n"))
            #expect(try TraceJSONLines.decode(line, line: 1) == .record(record))
        }
        #expect(try TraceJSONLines.decode(TraceJSONLines.encode(testHeader), line: 1) == .header(testHeader))
    }

    @Test func jsonLinesFilesConvertToBinaryAndBack() throws {
        let jsonl = temporaryPath("a.jsonl"), binary = temporaryPath("a.ptrace.zst"), back = temporaryPath("b.jsonl")
        let sink = try TraceFiles.createSink(jsonl, header: testHeader)
        for r in everyKind { try sink.write(r) }
        sink.recordDropped(3)
        try sink.close(endTime: nil)
        for (from, to) in [(jsonl, binary), (binary, back)] {
            let source = try TraceFiles.openSource(from)
            let out = try TraceFiles.createSink(to, header: source.header)
            while let r = try source.next() { try out.write(r) }
            try out.close(endTime: nil)
        }
        let reader = try TraceReader(path: binary)
        #expect(reader.header == testHeader)
        #expect(try reader.readAll() == everyKind)
        let again = try JSONLinesTraceReader(path: back)
        var records: [TraceRecord] = []
        while let r = try again.next() { records.append(r) }
        #expect(records == everyKind)
        #expect(try String(contentsOfFile: jsonl, encoding: .utf8) == String(contentsOfFile: back, encoding: .utf8).replacingOccurrences(of: #""droppedRecords":0"#, with: #""droppedRecords":3"#))
    }

    @Test func invalidJSONLinesNameTheLine() throws {
        let path = temporaryPath("bad.jsonl")
        try "{\"kind\":\"accepted\",\"t\":1,\"conn\":1}\n\n{\"kind\":\"messageIn\",\"t\":\"x\"}\n".write(toFile: path, atomically: true, encoding: .utf8)
        let reader = try JSONLinesTraceReader(path: path)
        #expect(try reader.next() == TraceRecord(time: 1, connection: 1, event: .accepted))
        #expect(throws: TraceError.invalidJSONLine(line: 3, reason: "\"t\" must be an integer")) { try reader.next() }
    }

    @Test func manyFramesRoundTrip() throws {
        var generator = ConferenceTrafficGenerator(seed: 3, rooms: 2, peersPerRoom: 4, seconds: 60)
        let records = generator.generate()
        let path = temporaryPath("conf.ptrace")
        let trailer = try #require(try writeTrace(records, to: path, flushBytes: 4096, frameBytes: 64 * 1024))
        #expect(trailer.index.count > 3)
        let reader = try TraceReader(path: path)
        #expect(try reader.readAll() == records)
        #expect(reader.truncation == nil)
    }

    /// `nextUndecoded()` (replay's reader) gives the same records as `next()`, a `messageOut`'s
    /// text as its bytes, across many blocks and frames, and the same errors on damage.
    @Test func undecodedReadingMatchesDecodedReading() throws {
        var generator = ConferenceTrafficGenerator(seed: 5, rooms: 2, peersPerRoom: 4, seconds: 60)
        let records = everyKind + generator.generate()
        let path = temporaryPath("undecoded.ptrace")
        try writeTrace(records, to: path, flushBytes: 4096, frameBytes: 64 * 1024)
        let reader = try TraceReader(path: path)
        var read: [TraceRecord] = []
        var outs = 0
        while let raw = try reader.nextUndecoded() {
            if let bytes = raw.messageOut {
                #expect(raw.event == nil)
                outs += 1
                read.append(TraceRecord(time: raw.time, connection: raw.connection, event: .messageOut(String(decoding: bytes, as: UTF8.self))))
            } else {
                read.append(TraceRecord(time: raw.time, connection: raw.connection, event: try #require(raw.event)))
            }
        }
        #expect(read == records)
        #expect(outs == records.filter { $0.event.kind == .messageOut }.count)
        #expect(reader.recordsRead == UInt64(records.count))
        #expect(reader.truncation == nil)
    }

    @Test func notATraceIsReportedAsSuch() throws {
        let path = temporaryPath("x.ptrace")
        try "hello world, not a trace".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: TraceError.notATrace(path: path)) { try TraceReader(path: path) }
    }
}
