import Foundation
import Protoo
import ProtooApps
import ProtooReplay
import ProtooScenarios
import ProtooSimulator
import ProtooTrace
import ProtooTestSupport
import Testing

/// Recordings cut off by a crash: the replay compares what the recording can
/// vouch for, says where it was cut, and passes when that prefix matches.
@Suite struct TruncatedTraceTests {
    /// A simulated conference recorded in small blocks (so cuts fall between many of them).
    private func recording() throws -> (path: String, bytes: [UInt8]) {
        var config = SimulationConfiguration()
        config.rooms = 3
        config.peersPerRoom = 5
        config.duration = .seconds(120)
        config.seed = 9
        let path = temporaryPath("full.ptrace.zst")
        let header = TraceHeader(createdAtUnixNanoseconds: 0, producerName: ReplaySeed.simulatorProducerName,
                                 producerVersion: "test", host: "test", scenario: config.scenario.rawValue, seed: config.seed)
        var rc = TraceRecorderConfiguration(path: path, header: header)
        rc.overflowPolicy = .block
        rc.writerOptions = TraceWriterOptions(flushBytes: 8 * 1024)
        let recorder = try TraceRecorder(configuration: rc)
        _ = try Simulation(config, tap: recorder).run()
        try recorder.close()
        return (path, Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    private func cut(_ bytes: [UInt8], at length: Int) throws -> String {
        let path = temporaryPath("cut.ptrace.zst")
        try Data(bytes.prefix(length)).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func replay(_ path: String, rewriting: (() -> Rewriter)? = nil) throws -> ReplayReport {
        try Replayer(path: path, app: { context -> any ProtooApp in
            if let rewriting { return RewritingApp(ConferenceApp(context: context), rewriting) }
            return ConferenceApp(context: context)
        }).run()
    }

    @Test func aTraceCutOffByACrashReplaysItsPrefixAndSaysWhereItWasCut() throws {
        let (full, bytes) = try recording()
        let complete = try replay(full)
        #expect(complete.passed)
        #expect(complete.truncation == nil)
        var notCompared = 0
        for percent in stride(from: 5, through: 99, by: 6) {
            let length = bytes.count * percent / 100
            let report = try replay(cut(bytes, at: length))
            #expect(report.passed, "cut at \(length) of \(bytes.count): \(report)")
            let truncation = try #require(report.truncation, "cut at \(length): not reported")
            #expect(truncation.reason.hasPrefix("at byte "))
            #expect(truncation.description.contains("compared up to"))
            #expect(truncation.comparedUpTo == report.virtualDuration)
            #expect(truncation.comparedUpTo < complete.virtualDuration)
            #expect(report.json["truncation"]?["comparedUpToNs"] == JSONValue.int(truncation.comparedUpTo.nanoseconds))
            notCompared += truncation.uncomparedOutputs
        }
        // What earlier replays reported as unexpected: output the recording never got to write.
        #expect(notCompared > 0)
    }

    /// Only what lies past a connection's last record is forgiven: a regression in the recorded
    /// prefix still fails the replay.
    @Test func aRegressionInsideTheRecordedPrefixStillFails() throws {
        let (_, bytes) = try recording()
        let report = try replay(cut(bytes, at: bytes.count * 6 / 10), rewriting: { Replace(#""method":"newPeer""#, #""method":"peerJoined""#) })
        #expect(!report.passed)
        #expect(report.truncation != nil)
        #expect(report.divergences.first?.kind == .mismatch)
    }

    /// A trace damaged in its records: the replay refuses it with the salvage command; the salvaged
    /// copy replays as a cut-off trace, exit 0, and says so on standard error.
    @Test func aDamagedTraceNamesTheSalvageCommandAndTheSalvagedCopyReplays() throws {
        let (path, bytes) = try recording()
        var damaged = bytes
        damaged[bytes.count / 2] ^= 0x10
        let damagedPath = temporaryPath("damaged.ptrace.zst")
        try Data(damaged).write(to: URL(fileURLWithPath: damagedPath))
        let refused = try ProtooTool.run(["replay", damagedPath, "--app", "conference"])
        #expect(refused.status != 0)
        let copy = URL(fileURLWithPath: damagedPath).deletingLastPathComponent().appendingPathComponent("salvaged.ptrace.zst").path
        let salvage = try #require(hintedCommand(in: refused.error, replacing: ["FILE": damagedPath, "COPY": copy]), "no hint: \(refused.error)")
        #expect(try ProtooTool.run(salvage).status == 0)
        let replayed = try ProtooTool.run(["replay", copy, "--app", "conference"])
        #expect(replayed.status == 0, "\(String(decoding: replayed.output, as: UTF8.self))")
        #expect(replayed.error.contains("trace truncated"), "\(replayed.error)")
        #expect(try replay(path).truncation == nil)
        // As JSON lines too: the trailer line carries the note.
        let lines = copy + ".jsonl"
        #expect(try ProtooTool.run(["trace", "cut", "--salvage", damagedPath, "-o", lines]).status == 0)
        let report = try replay(lines)
        #expect(report.passed)
        #expect(report.truncation?.reason.contains("copy of a trace that ended early") == true)
    }
}
