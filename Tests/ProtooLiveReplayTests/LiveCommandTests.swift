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
            let result = try ProtooTool.run(["replay", path, "--target", serve.url, "--speed", speed, "--json"])
            #expect(result.status == 0, "\(result.error)\n\(result.outputText)")
            let json = try JSONParser.parse(result.outputText)
            #expect(json["passed"] == true)
            #expect(json["connections"] == 3)
            #expect(json["divergenceCount"] == 0)
        }
        let text = try ProtooTool.run(["replay", path, "--target", serve.url])
        #expect(text.outputText.hasPrefix("live replay against \(serve.url): PASSED"))
        serve.stop()
    }

    @Test func replayTargetFailsWithExitCodeOneOnADivergence() async throws {
        let path = temporaryPath("session.ptrace.zst")
        try await LiveReplayTests.recordConformanceSession(to: path)
        // A server with another app: the echo app answers every request with its data.
        let serve = try await ProtooChild(["serve", "--app", "echo", "--host", "127.0.0.1", "--port", "0"])
        let result = try ProtooTool.run(["replay", path, "--target", serve.url, "--wait", "300ms"])
        #expect(result.status == 1)
        #expect(result.outputText.contains("divergence"))
        serve.stop()
    }

    @Test func loadTraceRunsCopiesAndCountsDivergences() async throws {
        let path = temporaryPath("load.ptrace.zst")
        let (server, recorder) = try await startServer(recordingTo: path)
        let a = try await openClient(server.port, query: "peerId=dave&roomId=r1")
        for i in 0..<3 { _ = try await a.request("echo", ["i": .int(Int64(i))]) }
        await a.close()
        try await Task.sleep(for: .milliseconds(100))
        await server.shutdown()
        try recorder?.close()

        let serve = try await ProtooChild(["serve", "--app", "conformance", "--host", "127.0.0.1", "--port", "0"])
        let result = try ProtooTool.run(["load", serve.url, "--trace", path, "--copies", "5", "--speed", "max", "--json"])
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
}
