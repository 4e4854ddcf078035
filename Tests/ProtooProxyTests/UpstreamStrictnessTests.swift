import Protoo
import ProtooProxy
import ProtooTestSupport
import ProtooWebSocket
import Testing

/// The proxy's upstream side keeps RFC 6455 as strictly as its listening side: a masked frame from
/// the server fails the connection, an upgrade answered with a 200 or a wrong accept key is 502
/// naming what was wrong, and an upstream that does not answer is said at start.
@Suite(.timeLimit(.minutes(1)))
struct UpstreamStrictnessTests {
    /// Runs `body` with a proxy in front of `upstream`; stops both afterwards.
    static func withProxy(to upstream: ScriptedUpstream, _ body: (ProtooServer) async throws -> Void) async throws {
        do {
            try await ProtooTestSupport.withProxy(to: "ws://127.0.0.1:\(upstream.port)", body)
        } catch {
            await upstream.stop()
            throw error
        }
        await upstream.stop()
    }

    @Test func aMaskedFrameFromTheUpstreamFailsTheConnection() async throws {
        // A masked text frame "{}" (key 1 2 3 4), as no server may send.
        let upstream = try await ScriptedUpstream(.upgradeThen([0x81, 0x82, 1, 2, 3, 4, UInt8(ascii: "{") ^ 1, UInt8(ascii: "}") ^ 2]))
        try await Self.withProxy(to: upstream) { proxy in
            let client = try #require(try await WireClient.dial("ws://127.0.0.1:\(proxy.port)/?peerId=a").client)
            let closed = try await client.waitForClose()
            #expect(closed.code == 1001)
            #expect(closed.reason.contains("masked server frame"), "\(closed.reason)")
            #expect(client.messages.isEmpty, "the masked frame was not relayed")
        }
    }

    @Test(arguments: [(ScriptedUpstream.Answer.ok200, "upstream answered the upgrade with 200"),
                      (.wrongAccept, "Sec-WebSocket-Accept")])
    func anUpgradeAnsweredWronglyIs502(_ answer: ScriptedUpstream.Answer, _ says: String) async throws {
        let upstream = try await ScriptedUpstream(answer)
        try await Self.withProxy(to: upstream) { proxy in
            guard case .refused(let status, let reason) = try await WireClient.dial("ws://127.0.0.1:\(proxy.port)/?peerId=a") else {
                Issue.record("not refused")
                return
            }
            #expect(status == 502)
            #expect(reason.contains(says), "\(reason)")
        }
    }

    @Test func anUpstreamThatDoesNotAnswerIsSaidAtStart() async throws {
        let upstream = try await ScriptedUpstream(.ok200)
        let port = upstream.port
        await upstream.stop()
        let proxy = try await ProtooChild(["proxy", "--listen", "127.0.0.1:0", "--upstream", "ws://127.0.0.1:\(port)/"])
        try await waitUntil("the warning") { proxy.log.contains("the upstream does not answer") }
        proxy.stop()
        try await withServer { healthy in
            let configuration = try ProxyConfiguration(upstream: "ws://127.0.0.1:\(healthy.port)")
            #expect(await UpstreamCheck.problem(with: configuration) == nil)
        }
    }
}
