import Testing
@testable import Protoo

@Suite struct PeerRequestTests {
    // MARK: client → server

    @Test func clientRequestAccepted() throws {
        let h = EngineHarness()
        let (server, client, _) = try h.connect("A")
        server.onRequest { req in .accept(["echo": req.data, "method": .string(req.method)]) }
        let out = Outcomes()
        client.request("hello", ["n": 1], completion: out.handler)
        h.settle()
        #expect(out.results.count == 1)
        #expect(try out.results[0].get() == ["echo": ["n": 1], "method": "hello"])
    }

    @Test func clientRequestRejected() throws {
        let h = EngineHarness()
        let (server, client, _) = try h.connect("A")
        server.onRequest { _ in .reject(code: 503, reason: "WHO KNOWS!") }
        let out = Outcomes()
        client.request("x", completion: out.handler)
        h.settle()
        #expect(out.results.count == 1)
        #expect(throws: ProtooError.rejected(code: 503, reason: "WHO KNOWS!")) { try out.results[0].get() }
    }

    @Test func handlerThrowingProtooErrorKeepsItsCode() throws {
        let h = EngineHarness()
        let (server, client, _) = try h.connect("A")
        server.onRequest { _ in throw ProtooError.reject(418, "teapot") }
        let out = Outcomes()
        client.request("x", completion: out.handler)
        h.settle()
        #expect(throws: ProtooError.rejected(code: 418, reason: "teapot")) { try out.results[0].get() }
    }

    @Test func handlerThrowingOtherErrorAnswers500WithItsText() throws {
        let h = EngineHarness()
        let (server, client, _) = try h.connect("A")
        server.onRequest { _ in throw TestError() }
        let out = Outcomes()
        client.request("throw", completion: out.handler)
        h.settle()
        guard case .failure(let error)? = out.results.first, case .rejected(let code, let reason) = error.kind else {
            Issue.record("expected a rejection, got \(out.results)")
            return
        }
        #expect(code == 500)
        #expect(reason.contains("BOOM!!!"))
    }

    @Test func deferredAnswerIsSentOnceOnly() throws {
        let h = EngineHarness()
        let (server, client, clientEnd) = try h.connect("A")
        var kept: IncomingRequest?
        server.onRequest { req in kept = req; return .deferred }
        let out = Outcomes()
        client.request("later", completion: out.handler)
        h.settle()
        #expect(out.results.isEmpty)
        kept?.accept(["first": true])
        kept?.reject(code: 500, reason: "second")
        kept?.accept(["third": true])
        h.settle()
        #expect(out.results.count == 1)
        #expect(try out.results[0].get() == ["first": true])
        #expect(clientEnd.sent.count == 1)
    }

    @Test func noRequestHandlerAnswers501() throws {
        let h = EngineHarness()
        let (_, client, _) = try h.connect("A")
        let out = Outcomes()
        client.request("anything", completion: out.handler)
        h.settle()
        guard case .failure(let error)? = out.results.first, case .rejected(let code, _) = error.kind else {
            Issue.record("expected 501, got \(out.results)")
            return
        }
        #expect(code == 501)
    }

    @Test func protooQuirkNoHandlerNeverAnswersWhenConfigured() throws {
        let (context, scheduler) = EngineContext.virtual()
        let (a, b) = MemoryTransport.pair(scheduler: scheduler)
        var quirk = Peer.Configuration.server
        quirk.unhandledRequestReply = nil
        _ = Peer(id: "s", transport: a, context: context, configuration: quirk)
        let client = Peer(id: "c", transport: b, context: context, configuration: .client)
        let out = Outcomes()
        client.request("x", completion: out.handler)
        scheduler.advance(by: .milliseconds(22_499))
        #expect(out.results.isEmpty)
        scheduler.advance(by: .milliseconds(1))
        #expect(throws: ProtooError.requestTimeout) { try out.results.first?.get() }
    }

    // MARK: server → client

    @Test func serverRequestAcceptedRejectedThrowing() throws {
        let h = EngineHarness()
        let (server, client, _) = try h.connect("A")
        client.onRequest { req in
            switch req.method {
            case "ok": return .accept(["v": 1])
            case "no": return .reject(code: 409, reason: "nope")
            default: throw TestError()
            }
        }
        let ok = Outcomes(), no = Outcomes(), boom = Outcomes()
        server.request("ok", completion: ok.handler)
        server.request("no", completion: no.handler)
        server.request("boom", completion: boom.handler)
        h.settle()
        #expect(try ok.results.single().get() == ["v": 1])
        #expect(throws: ProtooError.rejected(code: 409, reason: "nope")) { try no.results.single().get() }
        #expect(throws: ProtooError.rejected(code: 500, reason: "Error: BOOM!!!")) { try boom.results.single().get() }
    }

    // MARK: notifications

    @Test func notificationsBothWays() throws {
        let h = EngineHarness()
        let (server, client, _) = try h.connect("A")
        var atServer: [(String, JSONValue)] = [], atClient: [(String, JSONValue)] = []
        server.onNotification { atServer.append(($0, $1)) }
        client.onNotification { atClient.append(($0, $1)) }
        client.notify("up", ["a": 1])
        server.notify("down")
        server.notify("down2", ["b": "x"])
        h.settle()
        #expect(atServer.map(\.0) == ["up"])
        #expect(atServer.first?.1 == ["a": 1])
        #expect(atClient.map(\.0) == ["down", "down2"])
        #expect(atClient.first?.1 == .emptyObject)
    }

    @Test func invalidFramesAreDroppedAndConnectionLives() throws {
        let h = EngineHarness()
        let (server, client, clientEnd) = try h.connect("A")
        server.onRequest { .accept($0.data) }
        for junk in ["not json", "null", "[1]", "{}", #"{"request":true,"id":"x","method":"m"}"#,
                     #"{"response":true,"id":424242,"ok":true}"#] {
            clientEnd.send(junk)
        }
        let out = Outcomes()
        client.request("echo", ["still": "alive"], completion: out.handler)
        h.settle()
        #expect(try out.results.single().get() == ["still": "alive"])
        #expect(!server.isClosed)
    }
}

extension Array {
    func single(sourceLocation: SourceLocation = #_sourceLocation) throws -> Element {
        #expect(count == 1, "expected exactly one element, got \(count)", sourceLocation: sourceLocation)
        guard let first else { throw ProtooError.peerClosed }
        return first
    }
}
