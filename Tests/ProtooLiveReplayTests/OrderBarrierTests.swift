import Foundation
import Protoo
import ProtooApps
import ProtooClient
import ProtooLiveReplay
import ProtooReplay
import ProtooTestSupport
import ProtooTrace
import ProtooWebSocket
import Testing

/// Live replay against servers whose timing is their own: the order barrier (a client's close has
/// taken effect before later events go out), a server's drop kept as the server's, refusals the
/// recording's proxy made left out, credentials sent again.
@Suite(.timeLimit(.minutes(3)))
struct OrderBarrierTests {
    /// The conformance app, except that a peer leaves its room only once its TCP connection is
    /// closed, not when its close frame arrives: as the JavaScript protoo-server does.
    final class TCPCloseApp: ProtooApp {
        let inner: ConformanceApp
        init(context: EngineContext) { inner = ConformanceApp(context: context) }

        func handleConnection(_ request: ConnectionRequest) {
            let wrapped = ConnectionRequest(
                path: request.path, query: request.query, headers: request.headers, remoteAddress: request.remoteAddress,
                accept: { LateCloseTransport(request.accept()) },
                reject: { request.reject(status: $0, reason: $1) })
            inner.handleConnection(wrapped)
        }
    }

    /// Tells its peer about a close only once TCP is closed.
    final class LateCloseTransport: Transport, TransportDelegate {
        let inner: any Transport
        var delegate: (any TransportDelegate)?
        init(_ inner: any Transport) {
            self.inner = inner
            inner.delegate = self
        }
        var isClosed: Bool { inner.isClosed }
        func send(_ text: String) { inner.send(text) }
        func close(code: UInt16, reason: String) { inner.close(code: code, reason: reason) }
        func abort() { inner.abort() }
        func transport(_ transport: any Transport, didReceive text: String) { delegate?.transport(self, didReceive: text) }
        func transport(_ transport: any Transport, didClose event: TransportCloseEvent) {
            let deliver = { [self] in
                let d = delegate
                delegate = nil
                d?.transport(self, didClose: event)
            }
            if event.initiator == .remote, let closed = (inner as? WebSocketConnection)?.closeFuture {
                closed.assumeIsolated().whenComplete { _ in deliver() }
            } else {
                deliver()
            }
        }
    }

    /// x closes; y asks who is in the room at once (no server event tells y when x has left), and
    /// again a moment later: the recorded session's pace, which the replay at 1x keeps.
    static func driveCloseThenAsk(port: Int) async throws {
        let y = try await openClient(port, query: "peerId=y")
        for round in 0..<3 {
            let x = try await openClient(port, query: "peerId=x\(round)")
            _ = try await y.request("roomPeers")
            await x.close()
            _ = try await y.request("roomPeers")
            try await Task.sleep(for: .milliseconds(30))
            _ = try await y.request("roomPeers")
        }
        await y.close()
    }

    @Test func aClientsCloseHasTakenEffectBeforeLaterEventsGoOut() async throws {
        let path = temporaryPath("close-then-ask.ptrace.zst")
        try await withServer(app: { TCPCloseApp(context: $0) }) { upstream in
            let proxy = try await ProtooChild(["proxy", "--listen", "127.0.0.1:0", "--upstream", "ws://127.0.0.1:\(upstream.port)/", "--record", path])
            try await Self.driveCloseThenAsk(port: proxy.port)
            proxy.stop()
            let markers = try await ProtooTool.runAsync(["trace", "cat", path]).outputText.components(separatedBy: "\"closeCompleted\"").count - 1
            #expect(markers == 4, "each client close is marked once it took effect")
            let target = "ws://127.0.0.1:\(upstream.port)/"
            for speed in ["max", "1x"] {
                for _ in 0..<5 {
                    var options = LiveReplayOptions()
                    options.speed = ReplaySpeed(argument: speed)!
                    let report = try await offPool { [options] in try LiveReplayer(path: path, target: target, options: options).run() }
                    #expect(report.passed, "\(speed): \(report)")
                }
            }
        }
    }

    @Test func aServersDropIsTheServersAtAnySpeed() async throws {
        let path = temporaryPath("drop.ptrace.zst")
        let serve = try await ProtooChild(["serve", "--app", "conformance", "--host", "127.0.0.1", "--port", "0"])
        let proxy = try await ProtooChild(["proxy", "--listen", "127.0.0.1:0", "--upstream", serve.url, "--record", path])
        let a = try await openClient(proxy.port, query: "peerId=alice")
        let seen = ClientEvents(a)
        _ = try await a.request("dropMe", ["how": "tcp"])
        // Wait for the client to see the drop and reconnect: a request sent before it saw the drop
        // would go down with the old connection and wait for its timeout (as protoo-client's do).
        try await seen.waitForReconnect()
        _ = try await a.request("echo", ["back": true])
        // `close()` returns once the proxy answered the close frame, having closed (and recorded) the upstream side.
        await a.close()
        proxy.stop()
        let closes = try await ProtooTool.runAsync(["trace", "cat", path, "--messages"]).outputText.split(separator: "\n")
            .compactMap { try? JSONParser.parse(String($0)) }.filter { $0["kind"] == "closed" }
        #expect(closes.first?["initiator"] == "server", "\(closes)")   // the server dropped it, without a close frame
        #expect(closes.first?["code"] == .null)
        for speed in ["max", "1x"] {
            let run = try await ProtooTool.runAsync(["replay", path, "--target", serve.url, "--speed", speed])
            #expect(run.status == 0, "\(speed): \(run.outputText)")
        }
        serve.stop()
    }

    @Test func aRefusalTheProxyMadeIsNeverExpectedFromTheServer() async throws {
        let path = temporaryPath("refused.ptrace.zst")
        let echo = #"{"request":true,"id":7,"method":"echo","data":{"x":1}}"#
        try writeTrace([
            TraceRecord(time: 1_000_000, connection: 1, event: .connectionRequested(target: "/?peerId=a", headers: [], remoteAddress: "x")),
            TraceRecord(time: 2_000_000, connection: 1, event: .accepted),
            TraceRecord(time: 3_000_000, connection: 1, event: .messageIn(echo)),
            TraceRecord(time: 4_000_000, connection: 1, event: .messageOut(#"{"response":true,"id":7,"ok":true,"data":{"x":1}}"#)),
            TraceRecord(time: 5_000_000, connection: 2, event: .connectionRequested(target: "/?peerId=b", headers: [], remoteAddress: "x")),
            TraceRecord(time: 5_100_000, connection: 2, event: .marker(name: TraceMarkers.proxyRefusal, text: "refused by the proxy: 502 upstream unreachable")),
            TraceRecord(time: 5_200_000, connection: 2, event: .rejected(status: 502, reason: "upstream unreachable")),
            TraceRecord(time: 6_000_000, connection: 1, event: .closed(code: 1000, reason: "bye", initiator: .client)),
        ], to: path)
        try await withServer { server in
            let target = "ws://127.0.0.1:\(server.port)/"
            let report = try await offPool { try LiveReplayer(path: path, target: target).run() }
            #expect(report.passed, "\(report)")
            #expect(report.connectionsOpened == 1)
            #expect(report.proxyRefusals.count == 1)
            #expect(report.description.contains("not replayed"))
            let junit = JUnitShape(report.junit(suiteName: "t").xml)
            #expect(junit.testCases == 2)
            #expect(junit.skipped == 1)
        }
    }

    /// An app that lets in only connections carrying the right token and Authorization header.
    final class GuardedApp: ProtooApp {
        let inner: ConformanceApp
        init(context: EngineContext) { inner = ConformanceApp(context: context) }
        func handleConnection(_ request: ConnectionRequest) {
            guard request.queryValue("token") == "abc" else { return request.reject(status: 401, reason: "no token") }
            guard request.header("authorization") == "Bearer xyz" else { return request.reject(status: 401, reason: "no authorization") }
            inner.handleConnection(request)
        }
    }

    @Test func aRedactedTokenIsGivenBackByTheTargetAndAuthorizationIsSentAgain() async throws {
        let path = temporaryPath("guarded.ptrace.zst")
        try await withServer(app: { GuardedApp(context: $0) }) { guarded in
            let proxy = try await ProtooChild(["proxy", "--listen", "127.0.0.1:0", "--upstream", "ws://127.0.0.1:\(guarded.port)/",
                                               "--record", path, "--record-redact", "token"])
            var configuration = ProtooClient.Configuration(reconnect: nil, logger: Harness.quietLogger)
            configuration.headers = [("Authorization", "Bearer xyz")]
            let client = try await ProtooClient.start(url: "ws://127.0.0.1:\(proxy.port)/?peerId=p&token=abc", configuration: configuration)
            try await waitUntil("open") { (try? await client.request("echo", ["n": 1])) != nil }
            // `close()` returns once the proxy answered the close frame, having closed (and recorded) the upstream side.
            await client.close()
            proxy.stop()
            let cat = try await ProtooTool.runAsync(["trace", "cat", path]).outputText
            #expect(!cat.contains("abc"), "the token is not in the recording")
            #expect(cat.contains("Bearer xyz"), "Authorization is kept by default")
            let base = "ws://127.0.0.1:\(guarded.port)/"
            #expect(try await ProtooTool.runAsync(["replay", path, "--target", base + "?token=abc"]).status == 0)
            let without = try await ProtooTool.runAsync(["replay", path, "--target", base])
            #expect(without.status == 1)
            #expect(without.outputText.contains("no token"))
        }
    }
}
