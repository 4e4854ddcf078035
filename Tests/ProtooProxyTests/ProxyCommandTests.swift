import Foundation
import Protoo
import ProtooTestSupport
import Testing

/// The real `protoo proxy` in front of the real `protoo serve --app conformance`, as users run them.
@Suite(.timeLimit(.minutes(1)))
struct ProxyCommandTests {
    @Test func proxyCommandRelaysRecordsAndTheTraceReplays() async throws {
        let trace = FileManager.default.temporaryDirectory.appendingPathComponent("proxy-cli-\(UUID().uuidString).ptrace.zst").path
        defer { try? FileManager.default.removeItem(atPath: trace) }
        let serve = try await ProtooChild(["serve", "--app", "conformance", "--port", "0", "--log-level", "warning"])
        let upstream = "ws://127.0.0.1:\(serve.port)"
        let proxy = try await ProtooChild(["proxy", "--listen", "127.0.0.1:0", "--upstream", upstream, "--record", trace,
                                             "--record-redact", "token", "--log-level", "warning"])
        #expect(proxy.log.contains("protoo proxy: upstream \(upstream) listening on ws://127.0.0.1:\(proxy.port)/"))

        let a = try await Harness.client(port: proxy.port, query: "peerId=a&token=secret", reconnect: nil)
        try await waitUntil("a open") { await a.log.events.contains(.open) }
        #expect(try await a.client.request("echo", ["via": "proxy"]) == ["via": "proxy"])
        #expect(try await Harness.roomPeers(a.client) == ["a"])
        // `close()` returns once the proxy answered the close frame, having closed (and recorded) the upstream side.
        await a.client.close()
        #expect(proxy.stop() == 0, "\(proxy.log)")
        serve.stop()

        let info = try ProtooTool.run(["trace", "info", trace])
        #expect(info.status == 0, "\(info.error)")
        #expect(info.outputText.contains("producer: protoo proxy --upstream \(upstream)"), "\(info.outputText)")
        let cat = try ProtooTool.run(["trace", "cat", trace])
        #expect(cat.outputText.contains("\"target\":\"/?peerId=a\""), "the token was not redacted:\n\(cat.outputText)")
        let replay = try ProtooTool.run(["replay", trace, "--app", "conformance"])
        #expect(replay.status == 0, "\(replay.outputText)\(replay.error)")
        #expect(replay.outputText.contains("divergences:      0"), "\(replay.outputText)")
    }

    @Test func proxyCommandRefusesBadArguments() throws {
        let badUpstream = try ProtooTool.run(["proxy", "--upstream", "http://127.0.0.1:1"])
        #expect(badUpstream.status != 0)
        #expect(badUpstream.error.contains("ws://HOST:PORT"), "\(badUpstream.error)")
        let badListen = try ProtooTool.run(["proxy", "--upstream", "ws://127.0.0.1:1", "--listen", "nowhere"])
        #expect(badListen.status != 0)
        #expect(badListen.error.contains("--listen takes HOST:PORT"), "\(badListen.error)")
        let badFaults = try ProtooTool.run(["proxy", "--upstream", "ws://127.0.0.1:1", "--faults", "stormy"])
        #expect(badFaults.status != 0)
        let slowTimeout = try ProtooTool.run(["proxy", "--upstream", "ws://127.0.0.1:1", "--upstream-timeout", "20s"])
        #expect(slowTimeout.status != 0)
        #expect(slowTimeout.error.contains("--handshake-timeout"), "\(slowTimeout.error)")
    }
}
