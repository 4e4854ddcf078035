import Foundation
import Protoo
import ProtooTestSupport
import ProtooTrace
import Testing

/// A verdict never passes on nothing, and every tool exits 0 / 1 / 2 as docs/replay.md and
/// docs/load.md say: 0 clean, 1 diverged or a threshold failed, 2 could not run.
@Suite(.timeLimit(.minutes(2)))
struct NothingComparedTests {
    /// An empty recording: a proxy that relayed nothing.
    @Test func anEmptyProxyRecordingIsNothingComparedExitTwo() async throws {
        let path = temporaryPath("empty.ptrace.zst")
        let serve = try await ProtooChild(["serve", "--app", "conformance", "--host", "127.0.0.1", "--port", "0"])
        let proxy = try await ProtooChild(["proxy", "--listen", "127.0.0.1:0", "--upstream", serve.url, "--record", path])
        proxy.stop()
        let info = try JSONParser.parse(try await ProtooTool.runAsync(["trace", "info", path, "--json"]).outputText)
        #expect(info["records"] == 0)

        let inProcess = try await ProtooTool.runAsync(["replay", path, "--app", "conformance"])
        #expect(inProcess.status == 2, "\(inProcess.outputText)")
        #expect(inProcess.error.contains("nothing compared"), "\(inProcess.error)")
        let live = try await ProtooTool.runAsync(["replay", path, "--target", serve.url, "--json"])
        #expect(live.status == 2, "\(live.outputText)")
        #expect(try JSONParser.parse(live.outputText)["verdict"] == "couldNotRun")
        let load = try await ProtooTool.runAsync(["load", serve.url, "--trace", path, "--copies", "3"])
        #expect(load.status == 2, "\(load.outputText)")

        // Asked for, it passes.
        #expect(try await ProtooTool.runAsync(["replay", path, "--app", "conformance", "--allow-empty"]).status == 0)
        #expect(try await ProtooTool.runAsync(["replay", path, "--target", serve.url, "--allow-empty"]).status == 0)
        serve.stop()
    }

    /// A window of a trace that holds no server event: its connections began before it.
    @Test func aCutWindowWithoutServerEventsIsNothingCompared() async throws {
        let full = temporaryPath("full.ptrace.zst"), window = temporaryPath("window.ptrace.zst")
        let request = #"{"request":true,"id":1,"method":"echo","data":{}}"#
        try writeTrace([
            TraceRecord(time: 1_000_000_000, connection: 1, event: .connectionRequested(target: "/?peerId=a", headers: [], remoteAddress: "x")),
            TraceRecord(time: 1_000_100_000, connection: 1, event: .accepted),
            TraceRecord(time: 5_000_000_000, connection: 1, event: .messageIn(request)),
            TraceRecord(time: 9_000_000_000, connection: 1, event: .messageOut(#"{"response":true,"id":1,"ok":true,"data":{}}"#)),
        ], to: full)
        let cut = try await ProtooTool.runAsync(["trace", "cut", full, "--from", "4s", "--to", "6s", "-o", window])
        #expect(cut.status == 0, "\(cut.error)")
        let replay = try await ProtooTool.runAsync(["replay", window, "--app", "conformance", "--json"])
        #expect(replay.status == 2, "\(replay.outputText)")
        let report = try JSONParser.parse(replay.outputText)
        #expect(report["outputsCompared"] == 0)
        #expect(report["verdict"] == "couldNotRun")
        // The whole trace does compare something.
        #expect(try await ProtooTool.runAsync(["replay", full, "--app", "conformance"]).status == 0)
    }

    /// A recording cut off before its first complete record.
    @Test func aTraceCutBeforeItsFirstRecordIsNothingCompared() async throws {
        let path = temporaryPath("session.ptrace.zst"), cut = temporaryPath("cut.ptrace.zst")
        try await LiveReplayTests.recordConformanceSession(to: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(60).write(to: URL(fileURLWithPath: cut))
        let replay = try await ProtooTool.runAsync(["replay", cut, "--app", "conformance"])
        #expect(replay.status == 2, "\(replay.outputText)\n\(replay.error)")
        #expect(replay.outputText.contains("COULD NOT RUN"), "\(replay.outputText)")
    }

    @Test func couldNotRunIsExitTwoEverywhere() async throws {
        let path = temporaryPath("session.ptrace.zst")
        try await LiveReplayTests.recordConformanceSession(to: path)
        let dead = "ws://127.0.0.1:\(try await deadPort())/"
        let missing = temporaryPath("missing.ptrace.zst")
        let runs: [[String]] = [
            ["replay", missing, "--app", "conformance"],                 // no such trace, in-process
            ["replay", missing, "--target", dead],                        // no such trace, live
            ["replay", path, "--target", dead],                           // target unreachable
            ["replay", path, "--app", "conformance", "--rules", missing], // no such rules file
            ["replay", path, "--speed", "fast"],                          // bad argument
            ["load", dead, "--trace", path, "--copies", "2"],             // load from a trace, server gone
            ["load", dead, "--duration", "1s"],                           // plain load, server gone
            ["load", dead, "--trace", path, "--peers", "5"],              // --peers does not apply with --trace
            ["load", dead, "--threshold", "p99<<3"],                      // a threshold that does not parse
        ]
        for arguments in runs {
            let run = try await ProtooTool.runAsync(arguments)
            #expect(run.status == 2, "protoo \(arguments.joined(separator: " ")) exited \(run.status): \(run.error)")
        }
        let unreachable = try await ProtooTool.runAsync(["replay", path, "--target", dead])
        #expect(unreachable.error.contains("unreachable"), "\(unreachable.error)")
    }
}
