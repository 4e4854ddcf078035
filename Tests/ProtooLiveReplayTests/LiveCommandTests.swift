import Foundation
import Protoo
import ProtooTestSupport
import Testing

/// `protoo replay --target` and `protoo load --trace`, run as users run them, against
/// `protoo serve --app conformance`.
@Suite(.timeLimit(.minutes(2)))
struct LiveCommandTests {
    @Test func replayTargetPassesAgainstServeAndPrintsJSON() async throws {
        let path = temporaryPath("session.ptrace.zst")
        try await LiveReplayTests.recordConformanceSession(to: path)
        let serve = try await ProtooChild(["serve", "--app", "conformance", "--host", "127.0.0.1", "--port", "0"])
        for speed in ["max", "10x"] {
            let result = try await ProtooTool.runAsync(["replay", path, "--target", serve.url, "--speed", speed, "--json"])
            #expect(result.status == 0, "\(result.error)\n\(result.outputText)")
            let json = try JSONParser.parse(result.outputText)
            #expect(json["passed"] == true)
            #expect(json["connections"] == 3)
            #expect(json["divergenceCount"] == 0)
        }
        let text = try await ProtooTool.runAsync(["replay", path, "--target", serve.url])
        #expect(text.outputText.hasPrefix("live replay against \(serve.url): PASSED"))
        serve.stop()
    }

    @Test func replayTargetFailsWithExitCodeOneOnADivergence() async throws {
        let path = temporaryPath("session.ptrace.zst")
        try await LiveReplayTests.recordConformanceSession(to: path)
        // A server with another app: the echo app answers every request with its data.
        let serve = try await ProtooChild(["serve", "--app", "echo", "--host", "127.0.0.1", "--port", "0"])
        let result = try await ProtooTool.runAsync(["replay", path, "--target", serve.url, "--wait", "300ms"])
        #expect(result.status == 1)
        #expect(result.outputText.contains("divergence"))
        serve.stop()
    }

    @Test func loadTraceRunsCopiesAndCountsDivergences() async throws {
        let path = temporaryPath("load.ptrace.zst")
        try await withRecordingServer(to: path) { server in
            let a = try await openClient(server.port, query: "peerId=dave&roomId=r1")
            for i in 0..<3 { _ = try await a.request("echo", ["i": .int(Int64(i))]) }
            await a.close()
        }

        let serve = try await ProtooChild(["serve", "--app", "conformance", "--host", "127.0.0.1", "--port", "0"])
        let result = try await ProtooTool.runAsync(["load", serve.url, "--trace", path, "--copies", "5", "--speed", "max", "--json"])
        #expect(result.status == 0, "\(result.error)")
        let json = try JSONParser.parse(result.outputText)
        #expect(json["copies"] == 5)
        #expect(json["connectionsOpened"] == 5)
        #expect(json["divergenceCount"] == 0)
        #expect(json["copiesDiverged"] == 0)
        #expect(json["verdict"] == "passed")
        let methods = json["methods"]?.arrayValue ?? []
        #expect(methods.first { $0["method"] == "echo" }?["count"] == 20)   // (ready + 3) × 5
        serve.stop()
    }

    @Test func replayTargetWritesATestCasePerConnectionAndJudgesThresholds() async throws {
        let path = temporaryPath("session.ptrace.zst"), junit = temporaryPath("replay.xml")
        try await LiveReplayTests.recordConformanceSession(to: path)
        let serve = try await ProtooChild(["serve", "--app", "conformance", "--host", "127.0.0.1", "--port", "0"])
        let clean = try await ProtooTool.runAsync(["replay", path, "--target", serve.url, "--threshold", "p99<60s", "--junit", junit])
        #expect(clean.status == 0, "\(clean.outputText)")
        var shape = JUnitShape(try String(contentsOfFile: junit, encoding: .utf8))
        #expect(shape.testCases == 4)      // three recorded connections and the threshold
        #expect(shape.failures == 0)
        let slow = try await ProtooTool.runAsync(["replay", path, "--target", serve.url, "--threshold", "max<1us"])
        #expect(slow.status == 1)
        #expect(slow.outputText.contains("FAILED max<1us"))
        serve.stop()

        try await withServer(app: { ChangedRejectCodeApp(context: $0) }) { changed in
            let diverged = try await ProtooTool.runAsync(["replay", path, "--target", "ws://127.0.0.1:\(changed.port)/", "--junit", junit])
            #expect(diverged.status == 1)
            let xml = try String(contentsOfFile: junit, encoding: .utf8)
            shape = JUnitShape(xml)
            #expect(shape.testCases == 3)
            #expect(shape.failures == 1)
            #expect(xml.contains("mismatch in reject at errorCode"), "\(xml)")
        }
        // In-process, the comparison is the verdict: a threshold there is a usage error.
        #expect(try await ProtooTool.runAsync(["replay", path, "--app", "conformance", "--threshold", "p99<1s"]).status == 2)
        // The JUnit file is never the trace.
        #expect(try await ProtooTool.runAsync(["replay", path, "--app", "conformance", "--junit", path]).status == 2)
    }

    @Test func redactedBodiesStayOffDiskAndStillReplay() async throws {
        let path = temporaryPath("redacted.ptrace.zst")
        let serve = try await ProtooChild(["serve", "--app", "conformance", "--host", "127.0.0.1", "--port", "0",
                                           "--record", path, "--record-redact-body", "data.displayName"])
        let a = try await openClient(serve.port, query: "peerId=ann")
        _ = try await a.request("echo", ["displayName": "Ann Smith", "keep": "visible"])
        // `close()` returns once the server answered the close frame: the close is recorded by then.
        await a.close()
        serve.stop()
        let cat = try await ProtooTool.runAsync(["trace", "cat", path]).outputText
        #expect(!cat.contains("Ann Smith"))
        #expect(cat.contains("visible"))
        #expect(cat.contains("[redacted]"))
        #expect(try await ProtooTool.runAsync(["replay", path, "--app", "conformance"]).status == 0)
        let fresh = try await ProtooChild(["serve", "--app", "conformance", "--host", "127.0.0.1", "--port", "0"])
        #expect(try await ProtooTool.runAsync(["replay", path, "--target", fresh.url]).status == 0)
        fresh.stop()
    }
}
