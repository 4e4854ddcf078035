import Foundation
import Protoo
import ProtooProxy
import ProtooWebSocket
import ProtooTestSupport
import Testing

/// Wire-level relaying: bytes, headers, closes, refusals and the proxy's own answers (502, 504).
@Suite(.timeLimit(.minutes(1)))
struct ProxyRelayTests {
    @Test func messagesAreRelayedByteForByteBothWays() async throws {
        try await withProxied(Harness.wire) { servers in
            let a = try #require(try await WireClient.dial("\(servers.url)/").client)
            let odd = [
                "{ \"request\" : true ,\"id\":1,\n\t\"method\":\"echo\" , \"data\":{ \"x\" :[1 ,2.50, -0.0, 1e3] } }",
                "{\"notification\":true,\"method\":\"é🎉\\u00e9\",\"data\":{}}   ",
                "not json at all",
                "",
                String(repeating: "{\"k\": \"v\"} ", count: 20_000),
            ]
            for text in odd { a.send(text) }
            let echoed = try await a.waitForMessages(odd.count)
            #expect(echoed == odd)
            #expect(try await servers.upstream.wireSeen().first?.received == odd)
            a.close(code: 1000, reason: "done")
        }
    }

    @Test func pathQueryAndForwardedHeadersReachTheUpstream() async throws {
        try await withProxied(Harness.wire) { servers in
            let headers: [(name: String, value: String)] = [
                ("Origin", "https://app.example"), ("User-Agent", "proxy-test/1"), ("Cookie", "a=1"), ("Cookie", "b=2"),
                ("X-Forwarded-For", "10.1.2.3"), ("X-Secret", "not forwarded"),
            ]
            let a = try #require(try await WireClient.dial("\(servers.url)/hello?peerId=x%20y&roomId=r+1", headers: headers).client)
            let hello = try #require(try await a.waitForMessages(1).first)
            let json = try JSONParser.parse(hello)
            #expect(json["target"]?.stringValue == "/hello?peerId=x%20y&roomId=r+1")
            let received = (json["headers"]?.arrayValue ?? []).compactMap { pair -> (String, String)? in
                guard let p = pair.arrayValue, p.count == 2, let n = p[0].stringValue, let v = p[1].stringValue else { return nil }
                return (n.lowercased(), v)
            }
            func values(_ name: String) -> [String] { received.filter { $0.0 == name }.map(\.1) }
            #expect(values("origin") == ["https://app.example"])
            #expect(values("user-agent") == ["proxy-test/1"])
            #expect(values("cookie") == ["a=1", "b=2"])
            #expect(values("x-forwarded-for") == ["10.1.2.3, 127.0.0.1"])
            #expect(values("x-secret").isEmpty)
            #expect(values("host") == ["127.0.0.1:\(servers.upstream.port)"])
            a.close(code: 1000, reason: "done")
        }
    }

    @Test func closeCodesAndReasonsPassBothWays() async throws {
        try await withProxied(Harness.wire) { servers in
            // Client → upstream.
            let a = try #require(try await WireClient.dial("\(servers.url)/").client)
            a.send("hi")
            _ = try await a.waitForMessages(1)
            a.close(code: 3001, reason: "client says bye")
            try await waitUntil("upstream saw the close") { (try? await servers.upstream.wireSeen().first?.closed) != nil }
            let upstreamSaw = try #require(try await servers.upstream.wireSeen().first?.closed)
            #expect(upstreamSaw == TransportCloseEvent(code: 3001, reason: "client says bye", initiator: .remote))
            // Upstream → client.
            let b = try #require(try await WireClient.dial("\(servers.url)/").client)
            b.send("close 4001 server says bye")
            let clientSaw = try await b.waitForClose()
            #expect(clientSaw == TransportCloseEvent(code: 4001, reason: "server says bye", initiator: .remote))
            // A TCP drop passes as a drop (no close frame).
            let c = try #require(try await WireClient.dial("\(servers.url)/").client)
            c.send("hi")
            _ = try await c.waitForMessages(1)
            c.abort()
            try await waitUntil("upstream saw the drop") { (try? await servers.upstream.wireSeen().last?.closed) != nil }
            let dropped = try #require(try await servers.upstream.wireSeen().last?.closed)
            #expect(dropped.code == nil)
            #expect(dropped.initiator == .network)
        }
    }

    @Test func upstreamRefusalStatusAndReasonReachTheClient() async throws {
        try await withProxied(Harness.wire) { servers in
            guard case .refused(let status, let reason) = try await WireClient.dial("\(servers.url)/?reject=401") else {
                Issue.record("not refused")
                return
            }
            #expect(status == 401)
            #expect(reason == "go away")
        }
    }

    @Test func unreachableUpstreamIsAnswered502AndRecorded() async throws {
        let port = try await Harness.closedPort()
        let tap = RecordingTap()
        try await withProxy(to: "ws://127.0.0.1:\(port)", configure: { $0.trafficTap = tap }) { proxy in
            guard case .refused(let status, let reason) = try await WireClient.dial("ws://127.0.0.1:\(proxy.port)/?peerId=a") else {
                Issue.record("not refused")
                return
            }
            #expect(status == 502)
            #expect(reason == "upstream unreachable")
            #expect(tap.entries == ["requested 1 /?peerId=a", "rejected 1 502 upstream unreachable"])
        }
    }

    /// Over real sockets (the instant of the 504 is checked on virtual time in VirtualTimeFaultTests).
    @Test func upstreamThatDoesNotAnswerIsAnswered504() async throws {
        // An upstream whose app never decides: its upgrade hangs until its own 10 s handshake timeout.
        try await withServer(app: { SilentApp(context: $0) }) { upstream in
            try await withProxy(to: upstream, configure: { $0.upstreamTimeout = .milliseconds(300) }) { proxy in
                guard case .refused(let status, let reason) = try await WireClient.dial("ws://127.0.0.1:\(proxy.port)/?peerId=a") else {
                    Issue.record("not refused")
                    return
                }
                // 504 is the proxy's answer at its upstream timeout (the upstream itself would have been silent for 10 s).
                #expect(status == 504)
                #expect(reason.contains("did not answer within"), "\(reason)")
            }
        }
    }

    @Test func upstreamMustBeAWebSocketURLWithoutPath() {
        #expect(throws: ProxyError.self) { try ProxyConfiguration(upstream: "http://127.0.0.1:1") }
        #expect(throws: ProxyError.self) { try ProxyConfiguration(upstream: "ws://127.0.0.1:1/room?x=1") }
        #expect(throws: ProxyError.self) { try ProxyConfiguration(upstream: "ws://127.0.0.1:99999") }
        #expect((try? ProxyConfiguration(upstream: "wss://example.com:8443")) != nil)
    }
}

/// Defers every decision and never takes it.
final class SilentApp: ProtooApp {
    init(context: EngineContext) {}
    func handleConnection(_ request: ConnectionRequest) { request.deferDecision() }
}

/// The dialer under the proxy's upstream side (and ProtooClient): frames a server sends right
/// after its 101, often in the same read, reach the connection.
@Suite(.timeLimit(.minutes(1)))
struct DialerFirstFrameTests {
    @Test func aMessageSentWithTheUpgradeIsNotLost() async throws {
        try await withServer(app: Harness.wire) { upstream in
            for _ in 0..<10 {
                let a = try #require(try await WireClient.dial("ws://127.0.0.1:\(upstream.port)/hello").client)
                #expect(try await a.waitForMessages(1).count == 1)
                a.close(code: 1000, reason: "")
            }
        }
    }
}

/// A server that drops the connection right after its 101 (the proxy's injected drop can): the
/// dialed connection either fails or opens and then reports the loss, never stays open.
@Suite(.timeLimit(.minutes(1)))
struct DialerClosedDuringUpgradeTests {
    final class DropAtOnceApp: ProtooApp {
        init(context: EngineContext) {}
        func handleConnection(_ request: ConnectionRequest) { request.accept().abort() }
    }

    @Test func aConnectionDroppedRightAfterTheUpgradeIsReportedClosed() async throws {
        try await withServer(app: { DropAtOnceApp(context: $0) }) { upstream in
            for _ in 0..<30 {
                guard let a = try await WireClient.dial("ws://127.0.0.1:\(upstream.port)/").client else { continue }
                let closed = try await a.waitForClose()
                #expect(closed.code == nil)
            }
        }
    }
}
