import Protoo
import ProtooClient
import ProtooWebSocket
import Testing

/// The Swift client against the conformance app over loopback WebSocket: every behaviour of
/// `conformance-app.md`.
@Suite(.timeLimit(.minutes(1)))
struct ConformanceOverWebSocketTests {
    @Test func echoReturnsNestedAndUnicodeDataUnchanged() async throws {
        let server = try await Harness.startServer()
        let a = try await Harness.openClient(server, peerID: "a")
        let data: JSONValue = ["nested": ["list": [1, 2.5, true, nil, "héllo 🎉 \u{0001}"], "empty": [:]], "n": -3, "s": "\"quoted\"\\"]
        #expect(try await a.client.request("echo", data) == data)
        // A message above the 16 KiB outgoing fragment size and the 64 KiB frame limit survives both ways.
        let big: JSONValue = ["big": .string(String(repeating: "x", count: 200_000))]
        #expect(try await a.client.request("echo", big) == big)
        await a.client.close()
        await server.shutdown()
    }

    @Test func rejectAndThrowGiveErrorResponses() async throws {
        let server = try await Harness.startServer()
        let a = try await Harness.openClient(server, peerID: "a")
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
        await server.shutdown()
    }

    @Test func notifyMeSendsTheNotification() async throws {
        let server = try await Harness.startServer()
        let a = try await Harness.openClient(server, peerID: "a")
        let box = NotificationBox()
        await a.client.onNotification { box.append($0, $1) }
        #expect(try await a.client.request("notifyMe", ["method": "hello", "data": ["x": 1]]) == .emptyObject)
        try await Harness.waitUntil("notification") { !box.all.isEmpty }
        #expect(box.all.first?.0 == "hello")
        #expect(box.all.first?.1 == ["x": 1])
        await a.client.close()
        await server.shutdown()
    }

    @Test func requestMeRelaysSuccessAndError() async throws {
        let server = try await Harness.startServer()
        let a = try await Harness.openClient(server, peerID: "a")
        await a.client.onRequest { method, data in
            switch method {
            case "ask": return ["answer": 42, "echo": data]
            default: throw ProtooError.reject(418, "teapot")
            }
        }
        #expect(try await a.client.request("requestMe", ["method": "ask", "data": ["q": "?"]]) == ["answer": 42, "echo": ["q": "?"]])
        await #expect(throws: ProtooError.rejected(code: 418, reason: "teapot")) {
            try await a.client.request("requestMe", ["method": "fail", "data": [:]])
        }
        await a.client.close()
        await server.shutdown()
    }

    @Test func receivedNotificationsListsThemInOrder() async throws {
        let server = try await Harness.startServer()
        let a = try await Harness.openClient(server, peerID: "a")
        try await a.client.notify("first", ["a": 1])
        try await a.client.notify("second", ["b": [true]])
        let data = try await a.client.request("receivedNotifications")
        #expect(data == ["notifications": [["method": "first", "data": ["a": 1]], ["method": "second", "data": ["b": [true]]]]])
        await a.client.close()
        await server.shutdown()
    }

    /// A served test app keeps a bounded number of a client's notifications (1,000 or 1 MiB) and
    /// counts the rest, instead of growing without bound.
    @Test func receivedNotificationsAreKeptUpToABound() async throws {
        let server = try await Harness.startServer()
        let a = try await Harness.openClient(server, peerID: "a")
        for i in 0..<1200 { try await a.client.notify("n", ["i": .int(Int64(i))]) }
        let data = try await a.client.request("receivedNotifications")
        #expect(data["notifications"]?.arrayValue?.count == 1000)
        #expect(data["notifications"]?.arrayValue?.last?["data"]?["i"] == 999)
        #expect(data["dropped"] == 200)
        await a.client.close()
        await server.shutdown()
    }

    @Test func manyRequestsInFlightEachGetTheirResponse() async throws {
        let server = try await Harness.startServer()
        let a = try await Harness.openClient(server, peerID: "a")
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
        await server.shutdown()
    }

    @Test func roomPeersListsConnectedPeers() async throws {
        let server = try await Harness.startServer()
        let a = try await Harness.openClient(server, peerID: "a")
        let b = try await Harness.openClient(server, peerID: "b")
        #expect(try await Harness.roomPeers(a.client) == ["a", "b"])
        await b.client.close()
        try await Harness.waitUntil("b left") { (try? await Harness.roomPeers(a.client)) == ["a"] }
        await a.client.close()
        await server.shutdown()
    }

    @Test(arguments: ["tcp", "frame"])
    func dropMeDisconnectsAndTheClientReconnects(how: String) async throws {
        let server = try await Harness.startServer()
        let observer = try await Harness.openClient(server, peerID: "observer")
        let a = try await Harness.openClient(server, peerID: "a")
        #expect(try await a.client.request("dropMe", ["how": .string(how)]) == .emptyObject)
        try await Harness.waitUntil("disconnected then open again") {
            let events = await a.log.events
            return events == [.open, .disconnected, .open]
        }
        #expect(try await a.client.request("echo", ["again": true]) == ["again": true])
        #expect(try await Harness.roomPeers(observer.client) == ["a", "observer"])
        await a.client.close()
        await observer.client.close()
        await server.shutdown()
    }

    @Test func closeMeClosesWithoutReconnecting() async throws {
        let server = try await Harness.startServer()
        let observer = try await Harness.openClient(server, peerID: "observer")
        let a = try await Harness.openClient(server, peerID: "a")
        _ = try await a.client.request("closeMe")
        try await Harness.waitUntil("close") { await a.log.events.contains(.close) }
        try await Task.sleep(for: .milliseconds(200)) // a reconnection would happen within 20 ms
        #expect(await a.log.events == [.open, .close])
        #expect(try await Harness.roomPeers(observer.client) == ["observer"])
        await #expect(throws: ProtooClientError.closed) { try await a.client.request("echo") }
        await observer.client.close()
        await server.shutdown()
    }

    @Test func closeRoomClosesEveryPeerAndANewRoomServesLaterConnections() async throws {
        let server = try await Harness.startServer()
        let a = try await Harness.openClient(server, peerID: "a")
        let b = try await Harness.openClient(server, peerID: "b")
        _ = try await a.client.request("closeRoom")
        try await Harness.waitUntil("both closed") {
            let aClosed = await a.log.events.contains(.close)
            let bClosed = await b.log.events.contains(.close)
            return aClosed && bClosed
        }
        #expect(await a.log.count(of: .disconnected) == 0)
        let c = try await Harness.openClient(server, peerID: "a")
        #expect(try await Harness.roomPeers(c.client) == ["a"])
        await c.client.close()
        await server.shutdown()
    }

    @Test func duplicatePeerIDIsRefusedAndTheFirstPeerIsUntouched() async throws {
        let server = try await Harness.startServer()
        let first = try await Harness.openClient(server, peerID: "same")
        let second = try await Harness.client(server, query: "peerId=same", reconnect: nil)
        try await Harness.waitUntil("second refused") { await second.log.events == [.failed(attempt: 1), .close] }
        #expect(try await first.client.request("echo", ["still": "here"]) == ["still": "here"])
        #expect(try await Harness.roomPeers(first.client) == ["same"])
        await first.client.close()
        await server.shutdown()
    }

    @Test func rejectedConnectionIsRetriedThenClosed() async throws {
        let server = try await Harness.startServer()
        let r = try await Harness.client(server, query: "peerId=reject", reconnect: Harness.fastRetries(3))
        try await Harness.waitUntil("retries exhausted") { await r.log.events.contains(.close) }
        #expect(await r.log.events == [.failed(attempt: 1), .failed(attempt: 2), .failed(attempt: 3), .failed(attempt: 4), .close])
        await server.shutdown()
    }

    @Test func missingPeerIDIsRefused() async throws {
        let server = try await Harness.startServer()
        let r = try await Harness.client(server, query: "roomId=x", reconnect: nil)
        try await Harness.waitUntil("refused") { await r.log.events == [.failed(attempt: 1), .close] }
        await #expect(throws: ProtooClientError.closed) { try await r.client.request("echo") }
        await server.shutdown()
    }

    @Test func serverShutdownClosesClientsWith4000() async throws {
        let server = try await Harness.startServer()
        let a = try await Harness.openClient(server, peerID: "a")
        await server.shutdown()
        try await Harness.waitUntil("close") { await a.log.events.contains(.close) }
        #expect(await a.log.events == [.open, .close])
    }

    @Test func stopRefusesNewConnectionsButKeepsPeers() async throws {
        let server = try await Harness.startServer()
        let a = try await Harness.openClient(server, peerID: "a")
        await server.stop()
        let late = try await Harness.client(server, query: "peerId=late", reconnect: nil)
        try await Harness.waitUntil("late refused") { await late.log.events == [.failed(attempt: 1), .close] }
        #expect(try await a.client.request("echo", ["ok": true]) == ["ok": true])
        await a.client.close()
        await server.shutdown()
    }

    @Test func reconnectDelaysFollowTheRetryModule() {
        let policy = ProtooClient.ReconnectPolicy.protooClient
        let delays = (1...10).map { policy.delay(afterAttempt: $0) }
        #expect(delays == [1, 2, 4, 8, 8, 8, 8, 8, 8, 8].map { Duration.seconds($0) })
    }
}
