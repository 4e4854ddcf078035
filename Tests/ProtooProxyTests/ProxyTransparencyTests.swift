import Protoo
import ProtooClient
import ProtooWebSocket
import Testing

/// The conformance behaviours (`conformance-app.md`, as ConformanceOverWebSocketTests checks them
/// directly) with the Swift client talking to the conformance app through the proxy.
@Suite(.timeLimit(.minutes(1)))
struct ProxyTransparencyTests {
    @Test func echoReturnsNestedUnicodeAndLargeDataUnchanged() async throws {
        let servers = try await Harness.proxied()
        let a = try await Harness.openClient(port: servers.port, peerID: "a")
        let data: JSONValue = ["nested": ["list": [1, 2.5, true, nil, "héllo 🎉 \u{0001}"], "empty": [:]], "n": -3, "s": "\"quoted\"\\"]
        #expect(try await a.client.request("echo", data) == data)
        // Above the 16 KiB fragment size and the 64 KiB frame limit: reassembled, relayed, re-fragmented.
        let big: JSONValue = ["big": .string(String(repeating: "x", count: 200_000))]
        #expect(try await a.client.request("echo", big) == big)
        await a.client.close()
        await servers.shutdown()
    }

    @Test func errorResponsesPassThrough() async throws {
        let servers = try await Harness.proxied()
        let a = try await Harness.openClient(port: servers.port, peerID: "a")
        await #expect(throws: ProtooError.rejected(code: 503, reason: "WHO KNOWS!")) { try await a.client.request("reject") }
        do {
            _ = try await a.client.request("throw")
            Issue.record("throw should fail")
        } catch let error as ProtooError {
            #expect(error.errorCode == .rejected)
            #expect(error.code == 500)
            #expect(error.reason.contains("BOOM!!!"))
        }
        await #expect(throws: ProtooError.rejected(code: 404, reason: "unknown method")) { try await a.client.request("nope") }
        await a.client.close()
        await servers.shutdown()
    }

    @Test func notificationsAndServerRequestsPassThroughBothWays() async throws {
        let servers = try await Harness.proxied()
        let a = try await Harness.openClient(port: servers.port, peerID: "a")
        let box = NotificationBox()
        await a.client.onNotification { box.append($0, $1) }
        await a.client.onRequest { method, data in
            guard method == "ask" else { throw ProtooError.reject(418, "teapot") }
            return ["answer": 42, "echo": data]
        }
        #expect(try await a.client.request("notifyMe", ["method": "hello", "data": ["x": 1]]) == .emptyObject)
        try await Harness.waitUntil("notification") { !box.all.isEmpty }
        #expect(box.all.first?.0 == "hello")
        #expect(box.all.first?.1 == ["x": 1])
        #expect(try await a.client.request("requestMe", ["method": "ask", "data": ["q": "?"]]) == ["answer": 42, "echo": ["q": "?"]])
        await #expect(throws: ProtooError.rejected(code: 418, reason: "teapot")) {
            try await a.client.request("requestMe", ["method": "fail", "data": [:]])
        }
        try await a.client.notify("first", ["a": 1])
        try await a.client.notify("second", ["b": [true]])
        #expect(try await a.client.request("receivedNotifications")
            == ["notifications": [["method": "first", "data": ["a": 1]], ["method": "second", "data": ["b": [true]]]]])
        await a.client.close()
        await servers.shutdown()
    }

    @Test func manyRequestsInFlightEachGetTheirResponse() async throws {
        let servers = try await Harness.proxied()
        let a = try await Harness.openClient(port: servers.port, peerID: "a")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<50 {
                group.addTask {
                    let reply = try await a.client.request("echo", ["i": .int(Int64(i))])
                    #expect(reply == ["i": .int(Int64(i))])
                }
            }
            try await group.waitForAll()
        }
        await a.client.close()
        await servers.shutdown()
    }

    @Test func peersJoinAndLeaveTheUpstreamRoom() async throws {
        let servers = try await Harness.proxied()
        let a = try await Harness.openClient(port: servers.port, peerID: "a")
        let b = try await Harness.openClient(port: servers.port, peerID: "b")
        #expect(try await Harness.roomPeers(a.client) == ["a", "b"])
        await b.client.close()
        try await Harness.waitUntil("b left") { (try? await Harness.roomPeers(a.client)) == ["a"] }
        await a.client.close()
        await servers.shutdown()
    }

    @Test(arguments: ["tcp", "frame"])
    func dropMeDisconnectsAndTheClientReconnects(how: String) async throws {
        let servers = try await Harness.proxied()
        let observer = try await Harness.openClient(port: servers.port, peerID: "observer")
        let a = try await Harness.openClient(port: servers.port, peerID: "a")
        #expect(try await a.client.request("dropMe", ["how": .string(how)]) == .emptyObject)
        try await Harness.waitUntil("disconnected then open again") { await a.log.events == [.open, .disconnected, .open] }
        #expect(try await a.client.request("echo", ["again": true]) == ["again": true])
        #expect(try await Harness.roomPeers(observer.client) == ["a", "observer"])
        await a.client.close()
        await observer.client.close()
        await servers.shutdown()
    }

    @Test func closeMeClosesWith4000WithoutReconnecting() async throws {
        let servers = try await Harness.proxied()
        let observer = try await Harness.openClient(port: servers.port, peerID: "observer")
        let a = try await Harness.openClient(port: servers.port, peerID: "a")
        _ = try await a.client.request("closeMe")
        try await Harness.waitUntil("close") { await a.log.events.contains(.close) }
        try await Task.sleep(for: .milliseconds(200)) // a reconnection would happen within 20 ms
        #expect(await a.log.events == [.open, .close])
        #expect(try await Harness.roomPeers(observer.client) == ["observer"])
        await observer.client.close()
        await servers.shutdown()
    }

    @Test func closeRoomClosesEveryPeerAndANewRoomServesLaterConnections() async throws {
        let servers = try await Harness.proxied()
        let a = try await Harness.openClient(port: servers.port, peerID: "a")
        let b = try await Harness.openClient(port: servers.port, peerID: "b")
        _ = try await a.client.request("closeRoom")
        try await Harness.waitUntil("both closed") {
            let aClosed = await a.log.events.contains(.close)
            let bClosed = await b.log.events.contains(.close)
            return aClosed && bClosed
        }
        #expect(!(await a.log.events.contains(.disconnected)))
        let c = try await Harness.openClient(port: servers.port, peerID: "a")
        #expect(try await Harness.roomPeers(c.client) == ["a"])
        await c.client.close()
        await servers.shutdown()
    }

    @Test func refusalsKeepTheirStatusAndReason() async throws {
        let servers = try await Harness.proxied()
        let first = try await Harness.openClient(port: servers.port, peerID: "same")
        guard case .refused(let duplicate, _) = try await WireClient.dial("\(servers.url)/?peerId=same") else {
            Issue.record("a duplicate peerId was not refused")
            return
        }
        #expect(duplicate == 409)
        guard case .refused(let status, let reason) = try await WireClient.dial("\(servers.url)/?peerId=reject") else {
            Issue.record("peerId=reject was not refused")
            return
        }
        #expect(status == 403)
        #expect(reason == "Sorry!")
        guard case .refused(let missing, _) = try await WireClient.dial("\(servers.url)/?roomId=x") else {
            Issue.record("a missing peerId was not refused")
            return
        }
        #expect(missing == 400)
        #expect(try await first.client.request("echo", ["still": "here"]) == ["still": "here"])
        // The Swift client retries a refused connection, then gives up, as directly.
        let r = try await Harness.client(port: servers.port, query: "peerId=reject", reconnect: Harness.fastRetries(2))
        try await Harness.waitUntil("retries exhausted") { await r.log.events.contains(.close) }
        #expect(await r.log.events == [.failed(attempt: 1), .failed(attempt: 2), .failed(attempt: 3), .close])
        await first.client.close()
        await servers.shutdown()
    }

    @Test func upstreamShutdownReachesTheClientAs4000() async throws {
        let servers = try await Harness.proxied()
        let a = try await Harness.openClient(port: servers.port, peerID: "a")
        await servers.upstream.shutdown()
        try await Harness.waitUntil("close") { await a.log.events.contains(.close) }
        #expect(await a.log.events == [.open, .close])
        await servers.proxy.shutdown()
    }

    @Test func proxyShutdownClosesClientsWith4000AndUpstreamWith1001() async throws {
        let upstream = try await Harness.server(Harness.wire)
        let proxy = try await Harness.proxy(to: upstream)
        let a = try #require(try await WireClient.dial("ws://127.0.0.1:\(proxy.port)/").client)
        a.send("hi")
        _ = try await a.waitForMessages(1)
        await proxy.shutdown()
        let closed = try await a.waitForClose()
        #expect(closed.code == CloseCode.protoo)
        try await Harness.waitUntil("upstream closed") { (try? await upstream.wireSeen().first?.closed) != nil }
        let seen = try await upstream.wireSeen()
        #expect(seen.first?.closed?.code == CloseCode.goingAway)
        await upstream.shutdown()
    }
}
