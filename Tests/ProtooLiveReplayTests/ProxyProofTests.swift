import Foundation
import Protoo
import ProtooApps
import ProtooLiveReplay
import ProtooReplay
import ProtooTestSupport
import Testing

/// The proxy's proof, as a team would run it for a server it cannot change: `protoo proxy --record`
/// in front of `protoo serve --app conformance`, driven by the Swift client through the
/// conformance behaviours; the recording then replays in-process, live against a fresh server,
/// live against the server it was recorded from, and fails against a changed server with the path.
@Suite(.timeLimit(.minutes(2)))
struct ProxyProofTests {
    @Test func recordThroughTheProxyThenReplayEverywhere() async throws {
        let path = temporaryPath("proxied.ptrace.zst")
        let original = try await ProtooChild(["serve", "--app", "conformance", "--host", "127.0.0.1", "--port", "0"])
        let proxy = try await ProtooChild(["proxy", "--listen", "127.0.0.1:0", "--upstream", original.url, "--record", path])
        try await LiveReplayTests.driveConformanceSession(port: proxy.port)
        proxy.stop()   // SIGTERM: the recorder writes its trailer

        // The trace reads as any recording does, and names its upstream.
        let info = try await ProtooTool.runAsync(["trace", "info", path])
        #expect(info.status == 0, "\(info.error)")
        #expect(info.outputText.contains(original.url.dropLast()), "\(info.outputText)")

        // 1. In-process, against the conformance app.
        let inProcess = try Replayer(path: path, app: { ConformanceApp(context: $0) }).run()
        #expect(inProcess.passed, "\(inProcess)")
        #expect(inProcess.outputsCompared > 20)
        let cli = try await ProtooTool.runAsync(["replay", path, "--app", "conformance"])
        #expect(cli.status == 0, "\(cli.outputText)")

        // 2. Live, against a fresh server.
        let fresh = try await ProtooChild(["serve", "--app", "conformance", "--host", "127.0.0.1", "--port", "0"])
        let freshURL = fresh.url
        let againstFresh = try await offPool { try LiveReplayer(path: path, target: freshURL).run() }
        #expect(againstFresh.passed, "\(againstFresh)")
        #expect(againstFresh.connections == 3)

        // 3. Live, against the server it was recorded from.
        let againstOriginal = try await ProtooTool.runAsync(["replay", path, "--target", original.url, "--json"])
        #expect(againstOriginal.status == 0, "\(againstOriginal.outputText)")
        #expect(try JSONParser.parse(againstOriginal.outputText)["passed"] == true)

        // 4. A deliberately changed server (the reject code), served live: fails with the path.
        try await withServer(app: { ChangedRejectCodeApp(context: $0) }) { changed in
            let againstChanged = try await ProtooTool.runAsync(["replay", path, "--target", "ws://127.0.0.1:\(changed.port)/", "--json"])
            #expect(againstChanged.status == 1)
            let report = try JSONParser.parse(againstChanged.outputText)
            let first = try #require(report["divergences"]?.arrayValue?.first)
            #expect(first["method"] == "reject")
            #expect(first["differences"]?.arrayValue?.first?["path"] == "errorCode")
            #expect(first["differences"]?.arrayValue?.first?["expected"] == 503)
            #expect(first["differences"]?.arrayValue?.first?["actual"] == 502)
        }
        fresh.stop()
        original.stop()
    }
}
