import Protoo
import ProtooClient
import ProtooTestSupport
import ProtooWebSocket
import Testing

/// The Swift client against the conformance app over loopback WebSocket: every behaviour of
/// `conformance-app.md`, each checked twice, against the server directly and through the proxy
/// (``ProxyApp`` in front of it), which must be transparent to all of them.
@Suite(.timeLimit(.minutes(2)))
struct ConformanceTests {
    @Test(arguments: Route.allCases)
    func echoReturnsNestedUnicodeAndLargeDataUnchanged(_ route: Route) async throws {
        try await withServer(via: route) { endpoint in
            let a = try await Harness.openClient(port: endpoint.port, peerID: "a")
            let data: JSONValue = ["nested": ["list": [1, 2.5, true, nil, "héllo 🎉 \u{0001}"], "empty": [:]], "n": -3, "s": "\"quoted\"\\"]
            #expect(try await a.client.request("echo", data) == data)
            // Above the 16 KiB outgoing fragment size and the 64 KiB frame limit, both ways (through
            // the proxy: reassembled, relayed, re-fragmented).
            let big: JSONValue = ["big": .string(String(repeating: "x", count: 200_000))]
            #expect(try await a.client.request("echo", big) == big)
            await a.client.close()
        }
    }

    @Test(arguments: Route.allCases)
    func rejectThrowAndUnknownMethodsGiveErrorResponses(_ route: Route) async throws {
        try await withServer(via: route) { endpoint in
            let a = try await Harness.openClient(port: endpoint.port, peerID: "a")
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
        }
    }

    @Test(arguments: Route.allCases)
    func notifyMeSendsTheNotification(_ route: Route) async throws {
        try await withServer(via: route) { endpoint in
            let a = try await Harness.openClient(port: endpoint.port, peerID: "a")
            let box = NotificationBox()
            await a.client.onNotification { box.append($0, $1) }
            #expect(try await a.client.request("notifyMe", ["method": "hello", "data": ["x": 1]]) == .emptyObject)
            try await waitUntil("the notification") { !box.all.isEmpty }
            #expect(box.all.first?.0 == "hello")
            #expect(box.all.first?.1 == ["x": 1])
            await a.client.close()
        }
    }

    @Test(arguments: Route.allCases)
    func requestMeRelaysSuccessAndError(_ route: Route) async throws {
        try await withServer(via: route) { endpoint in
            let a = try await Harness.openClient(port: endpoint.port, peerID: "a")
            await a.client.onRequest { method, data in
                guard method == "ask" else { throw ProtooError.reject(418, "teapot") }
                return ["answer": 42, "echo": data]
            }
            #expect(try await a.client.request("requestMe", ["method": "ask", "data": ["q": "?"]]) == ["answer": 42, "echo": ["q": "?"]])
            await #expect(throws: ProtooError.rejected(code: 418, reason: "teapot")) {
                try await a.client.request("requestMe", ["method": "fail", "data": [:]])
            }
            await a.client.close()
        }
    }

    @Test(arguments: Route.allCases)
    func receivedNotificationsListsThemInOrder(_ route: Route) async throws {
        try await withServer(via: route) { endpoint in
            let a = try await Harness.openClient(port: endpoint.port, peerID: "a")
            try await a.client.notify("first", ["a": 1])
            try await a.client.notify("second", ["b": [true]])
            let data = try await a.client.request("receivedNotifications")
            #expect(data == ["notifications": [["method": "first", "data": ["a": 1]], ["method": "second", "data": ["b": [true]]]]])
            await a.client.close()
        }
    }

    /// A served test app keeps a bounded number of a client's notifications (1,000 or 1 MiB) and
    /// counts the rest, instead of growing without bound.
    @Test(arguments: Route.allCases)
    func receivedNotificationsAreKeptUpToABound(_ route: Route) async throws {
        try await withServer(via: route) { endpoint in
            let a = try await Harness.openClient(port: endpoint.port, peerID: "a")
            for i in 0..<1200 { try await a.client.notify("n", ["i": .int(Int64(i))]) }
            let data = try await a.client.request("receivedNotifications")
            #expect(data["notifications"]?.arrayValue?.count == 1000)
            #expect(data["notifications"]?.arrayValue?.last?["data"]?["i"] == 999)
            #expect(data["dropped"] == 200)
            await a.client.close()
        }
    }

    @Test(arguments: Route.allCases)
    func manyRequestsInFlightEachGetTheirResponse(_ route: Route) async throws {
        try await withServer(via: route) { endpoint in
            let a = try await Harness.openClient(port: endpoint.port, peerID: "a")
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
        }
    }

    @Test(arguments: Route.allCases)
    func roomPeersListsConnectedPeersAndAPeerLeavesWithItsConnection(_ route: Route) async throws {
        try await withServer(via: route) { endpoint in
            let a = try await Harness.openClient(port: endpoint.port, peerID: "a")
            let b = try await Harness.openClient(port: endpoint.port, peerID: "b")
            #expect(try await Harness.roomPeers(a.client) == ["a", "b"])
            await b.client.close()
            try await waitUntil("b left") { (try? await Harness.roomPeers(a.client)) == ["a"] }
            await a.client.close()
        }
    }

    @Test(arguments: Route.allCases, ["tcp", "frame"])
    func dropMeDisconnectsAndTheClientReconnects(_ route: Route, how: String) async throws {
        try await withServer(via: route) { endpoint in
            let observer = try await Harness.openClient(port: endpoint.port, peerID: "observer")
            let a = try await Harness.openClient(port: endpoint.port, peerID: "a")
            #expect(try await a.client.request("dropMe", ["how": .string(how)]) == .emptyObject)
            try await waitUntil("disconnected then open again") { await a.log.events == [.open, .disconnected, .open] }
            #expect(try await a.client.request("echo", ["again": true]) == ["again": true])
            #expect(try await Harness.roomPeers(observer.client) == ["a", "observer"])
            await a.client.close()
            await observer.client.close()
        }
    }

    @Test(arguments: Route.allCases)
    func closeMeClosesWith4000WithoutReconnecting(_ route: Route) async throws {
        try await withServer(via: route) { endpoint in
            let observer = try await Harness.openClient(port: endpoint.port, peerID: "observer")
            let a = try await Harness.openClient(port: endpoint.port, peerID: "a")
            _ = try await a.client.request("closeMe")
            // The event stream ends after `close`: once it has, no reconnection can follow.
            try await waitUntil("a's events ended") { await a.log.finished }
            #expect(await a.log.events == [.open, .close])
            #expect(try await Harness.roomPeers(observer.client) == ["observer"])
            await #expect(throws: ProtooClientError.closed) { try await a.client.request("echo") }
            await observer.client.close()
        }
    }

    @Test(arguments: Route.allCases)
    func closeRoomClosesEveryPeerAndANewRoomServesLaterConnections(_ route: Route) async throws {
        try await withServer(via: route) { endpoint in
            let a = try await Harness.openClient(port: endpoint.port, peerID: "a")
            let b = try await Harness.openClient(port: endpoint.port, peerID: "b")
            _ = try await a.client.request("closeRoom")
            try await waitUntil("both closed") {
                let aClosed = await a.log.events.contains(.close)
                let bClosed = await b.log.events.contains(.close)
                return aClosed && bClosed
            }
            #expect(await a.log.count(of: .disconnected) == 0)
            #expect(await b.log.count(of: .disconnected) == 0)
            let c = try await Harness.openClient(port: endpoint.port, peerID: "a")
            #expect(try await Harness.roomPeers(c.client) == ["a"])
            await c.client.close()
        }
    }

    @Test(arguments: Route.allCases)
    func duplicatePeerIDIsRefused409AndTheFirstPeerIsUntouched(_ route: Route) async throws {
        try await withServer(via: route) { endpoint in
            let first = try await Harness.openClient(port: endpoint.port, peerID: "same")
            let raw = try await RawTCP.exchange(port: endpoint.port, request: RawTCP.upgradeRequest(port: endpoint.port, target: "/?peerId=same"),
                                                timeout: .seconds(10))
            #expect(raw.statusLine == "HTTP/1.1 409 Conflict")
            let second = try await Harness.client(port: endpoint.port, query: "peerId=same", reconnect: nil)
            try await waitUntil("second refused") { await second.log.events == [.failed(attempt: 1), .close] }
            #expect(try await first.client.request("echo", ["still": "here"]) == ["still": "here"])
            #expect(try await Harness.roomPeers(first.client) == ["same"])
            await first.client.close()
        }
    }

    @Test(arguments: Route.allCases)
    func rejectedPeerIsRefused403WithItsReasonAndTheClientRetriesThenCloses(_ route: Route) async throws {
        try await withServer(via: route) { endpoint in
            let raw = try await RawTCP.exchange(port: endpoint.port, request: RawTCP.upgradeRequest(port: endpoint.port, target: "/?peerId=reject"),
                                                timeout: .seconds(10))
            #expect(raw.statusLine == "HTTP/1.1 403 Forbidden")
            #expect(raw.response.contains("X-WebSocket-Reject-Reason: Sorry!"))
            #expect(raw.closedByServer)
            let r = try await Harness.client(port: endpoint.port, query: "peerId=reject", reconnect: Harness.fastRetries(3))
            try await waitUntil("retries exhausted") { await r.log.finished }
            #expect(await r.log.events == [.failed(attempt: 1), .failed(attempt: 2), .failed(attempt: 3), .failed(attempt: 4), .close])
        }
    }

    @Test(arguments: Route.allCases)
    func missingPeerIDIsRefused400(_ route: Route) async throws {
        try await withServer(via: route) { endpoint in
            for target in ["/?roomId=x", "/?peerId="] {
                let raw = try await RawTCP.exchange(port: endpoint.port, request: RawTCP.upgradeRequest(port: endpoint.port, target: target),
                                                    timeout: .seconds(10))
                #expect(raw.statusLine == "HTTP/1.1 400 Bad Request", "\(target)")
            }
            let r = try await Harness.client(port: endpoint.port, query: "roomId=x", reconnect: nil)
            try await waitUntil("refused") { await r.log.events == [.failed(attempt: 1), .close] }
            await #expect(throws: ProtooClientError.closed) { try await r.client.request("echo") }
        }
    }

    @Test(arguments: Route.allCases)
    func serverShutdownClosesClientsWith4000(_ route: Route) async throws {
        try await withServer(via: route) { endpoint in
            let a = try await Harness.openClient(port: endpoint.port, peerID: "a")
            await endpoint.server.shutdown()
            try await waitUntil("a's events ended") { await a.log.finished }
            #expect(await a.log.events == [.open, .close])
        }
    }

    @Test(arguments: Route.allCases)
    func stopRefusesNewConnectionsButKeepsPeers(_ route: Route) async throws {
        try await withServer(via: route) { endpoint in
            let a = try await Harness.openClient(port: endpoint.port, peerID: "a")
            await endpoint.server.stop()
            let raw = try await RawTCP.exchange(port: endpoint.port, request: RawTCP.upgradeRequest(port: endpoint.port, target: "/?peerId=late"),
                                                timeout: .seconds(10))
            #expect(raw.statusLine == "HTTP/1.1 503 Service Unavailable")
            let late = try await Harness.client(port: endpoint.port, query: "peerId=late", reconnect: nil)
            try await waitUntil("late refused") { await late.log.events == [.failed(attempt: 1), .close] }
            #expect(try await a.client.request("echo", ["ok": true]) == ["ok": true])
            await a.client.close()
        }
    }
}
