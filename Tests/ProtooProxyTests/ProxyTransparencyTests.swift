import Protoo
import ProtooTestSupport
import ProtooWebSocket
import Testing

/// The proxy's own shutdown, as any protoo server's: its clients get 4000, the upstream 1001. (The
/// conformance behaviours through the proxy are ConformanceTests, run both directly and proxied.)
@Suite(.timeLimit(.minutes(1)))
struct ProxyTransparencyTests {
    @Test func proxyShutdownClosesClientsWith4000AndUpstreamWith1001() async throws {
        try await withServer(app: Harness.wire) { upstream in
            try await withProxy(to: upstream) { proxy in
                let a = try #require(try await WireClient.dial("ws://127.0.0.1:\(proxy.port)/").client)
                a.send("hi")
                _ = try await a.waitForMessages(1)
                await proxy.shutdown()
                let closed = try await a.waitForClose()
                #expect(closed.code == CloseCode.protoo)
                try await waitUntil("upstream closed") { (try? await upstream.wireSeen().first?.closed) != nil }
                let seen = try await upstream.wireSeen()
                #expect(seen.first?.closed?.code == CloseCode.goingAway)
            }
        }
    }
}
