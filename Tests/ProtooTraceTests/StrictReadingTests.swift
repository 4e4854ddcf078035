import Foundation
import Protoo
import ProtooTestSupport
import Testing
@testable import ProtooTrace

/// Both readers take the same records and refuse the same damage: times beyond the format's range,
/// negative or huge connection ids, unknown format versions, text that is not UTF-8. And a
/// recording never replaces an existing file unless asked.
@Suite struct StrictReadingTests {
    private func jsonl(_ lines: [String]) throws -> String {
        let path = temporaryPath("hand.jsonl")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func readAll(_ path: String) throws -> [TraceRecord] {
        let source = try TraceFiles.openSource(path)
        var records: [TraceRecord] = []
        while let r = try source.next() { records.append(r) }
        return records
    }

    @Test func jsonLinesRefuseWhatTheBinaryReaderRefuses() throws {
        let good = #"{"t":1,"conn":1,"kind":"accepted"}"#
        #expect(try readAll(try jsonl([good])).count == 1)
        for bad in [
            #"{"t":9223372036854775807,"conn":1,"kind":"accepted"}"#,          // Int64.max: beyond ±2^62
            #"{"t":-9223372036854775807,"conn":1,"kind":"accepted"}"#,
            #"{"t":1,"conn":-1,"kind":"accepted"}"#,
            #"{"kind":"header","formatVersion":99}"#,
            #"{"kind":"header","formatVersion":0}"#,
        ] {
            #expect(throws: TraceError.self, "accepted: \(bad)") { try readAll(try jsonl([bad, good])) }
        }
        // Invalid UTF-8 in a line: refused, not repaired.
        let path = temporaryPath("bad-utf8.jsonl")
        var bytes = Array(#"{"t":1,"conn":1,"kind":"messageIn","text":"a"#.utf8)
        bytes += [0xFF, 0xFE]
        bytes += Array("\"}\n".utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: TraceError.self) { try readAll(path) }
        // And convert never writes what its own cat would refuse.
        let converted = temporaryPath("converted.ptrace.zst")
        let run = try ProtooTool.run(["trace", "convert", try jsonl([#"{"t":9223372036854775807,"conn":1,"kind":"accepted"}"#]), converted])
        #expect(run.status != 0)
        #expect(!FileManager.default.fileExists(atPath: converted))
    }

    @Test func theBinaryReaderRefusesATimeBeyondTheRange() throws {
        let path = temporaryPath("far.ptrace")
        let writer = try TraceWriter(path: path, header: testHeader)
        try writer.write(TraceRecord(time: 1, connection: 1, event: .accepted))
        try writer.write(TraceRecord(time: Int64.max, connection: 1, event: .accepted))
        try writer.close()
        let reader = try TraceReader(path: path)
        #expect(try reader.next()?.time == 1)
        #expect(throws: TraceError.self) { try reader.next() }
    }

    @Test func replayOfATimeNearTheBoundEndsInsteadOfSpinning() throws {
        // Within the range, far in the future: replay ends (no wrapped look-ahead reads forever).
        let path = try jsonl([
            #"{"t":1,"conn":1,"kind":"connectionRequested","target":"/?peerId=a"}"#,
            #"{"t":2,"conn":1,"kind":"accepted"}"#,
            #"{"t":4611686018427387904,"conn":1,"kind":"closed","code":1000,"reason":"","initiator":"client"}"#,
        ])
        let run = try ProtooTool.run(["replay", path, "--app", "conformance", "--speed", "max"])
        #expect(run.status == 0, "\(run.outputText)\n\(run.error)")
    }

    @Test func aRecordingNeverReplacesAFileUnlessAsked() throws {
        let path = temporaryPath("keep.ptrace.zst")
        try Data("precious".utf8).write(to: URL(fileURLWithPath: path))
        var configuration = TraceRecorderConfiguration(path: path, header: testHeader)
        #expect(throws: TraceError.recordingExists(path: path)) { try TraceRecorder(configuration: configuration) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "precious")
        configuration.overwritesExisting = true
        let recorder = try TraceRecorder(configuration: configuration)
        try recorder.close()
        #expect(try TraceReader(path: path).next() == nil)
        // The commands refuse too (exit 2), and say how to replace it.
        let serve = try ProtooTool.run(["serve", "--app", "conformance", "--port", "0", "--record", path])
        #expect(serve.status == 2)
        #expect(serve.error.contains("--record-overwrite"), "\(serve.error)")
        let simulate = try ProtooTool.run(["simulate", "--duration", "1s", "--record", path])
        #expect(simulate.status == 2, "\(simulate.error)")
    }
}
