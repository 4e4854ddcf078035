import Protoo
import ProtooClient
import ProtooTestSupport
import ProtooWebSocket
import Testing

/// Connection decisions taken after `handleConnection` returned (`request.deferDecision()`), over
/// real sockets: the upgrade waits for them (their timing, and the handshake deadline that bounds
/// them, are checked on virtual time in DeferredDecisionDeadlineTests).
@Suite(.timeLimit(.minutes(1)))
struct DeferredDecisionTests {
    @Test func acceptTakenLaterOpensTheConnection() async throws {
        try await withServer(app: { LaterApp(context: $0, decision: .accept, delay: .milliseconds(50)) }) { server in
            let a = try await Harness.openClient(server, peerID: "a", reconnect: nil)
            #expect(try await a.client.request("echo", ["later": true]) == ["later": true])
            #expect(try await server.withApp { ($0 as? LaterApp)?.lateAcceptClosed } == false)
            await a.client.close()
        }
    }

    @Test func rejectTakenLaterAnswersItsStatusAndReason() async throws {
        try await withServer(app: { LaterApp(context: $0, decision: .reject(status: 401, reason: "decided later"), delay: .milliseconds(50)) }) { server in
            let port = server.port
            let exchange = try await RawTCP.exchange(port: port, request: RawTCP.upgradeRequest(port: port, target: "/?peerId=a"), timeout: .seconds(10))
            #expect(exchange.statusLine == "HTTP/1.1 401 Unauthorized")
            #expect(exchange.response.contains("X-WebSocket-Reject-Reason: decided later"))
            #expect(exchange.closedByServer)
        }
    }

    /// docs/server.md's example: a token checked (asynchronously) before anyone is let in, and a
    /// peer replaced only by an authenticated connection.
    @Test func onlyAnAuthenticatedConnectionReplacesAPeer() async throws {
        let app: ProtooAppFactory = { context in
            AuthenticatedRoomApp(context: context, tokens: { token in token.hasPrefix("good-") ? String(token.dropFirst(5)) : nil })
        }
        try await withServer(app: app) { server in
            let first = try await Harness.client(server, query: "peerId=alice&token=good-alice", reconnect: nil)
            try await waitUntil("alice open") { await first.log.events.contains(.open) }
            // A wrong token, or another peer's, is refused and evicts nobody.
            for query in ["peerId=alice&token=bad", "peerId=alice&token=good-bob", "peerId=alice"] {
                let exchange = try await RawTCP.exchange(port: server.port, request: RawTCP.upgradeRequest(port: server.port, target: "/?\(query)"),
                                                         timeout: .seconds(10))
                #expect(exchange.statusLine.hasPrefix("HTTP/1.1 40"), "\(query): \(exchange.statusLine)")
            }
            // Still connected: the refused ones replaced nobody (the app answers no request: 501 is an answer).
            await #expect(throws: ProtooError.rejected(code: 501, reason: "no request handler [method:ping]")) { try await first.client.request("ping") }
            #expect(await first.log.events == [.open])
            // Alice again, with her token: the new connection takes her place (the old one gets 4000).
            let second = try await Harness.client(server, query: "peerId=alice&token=good-alice", reconnect: nil)
            try await waitUntil("the old connection closed") { await first.log.events.contains(.close) }
            try await waitUntil("alice open again") { await second.log.events.contains(.open) }
            await second.client.close()
        }
    }
}

/// Defers every decision, then takes it `delay` later on the engine's scheduler.
final class LaterApp: ProtooApp {
    enum Decision: Sendable { case accept, reject(status: Int, reason: String) }
    let context: EngineContext
    let room: Room
    let decision: Decision
    let delay: Duration
    /// Whether a late accept's transport was closed from the start (`nil`: no late accept yet).
    var lateAcceptClosed: Bool?

    init(context: EngineContext, decision: Decision, delay: Duration) {
        self.context = context
        self.room = Room(context: context)
        self.decision = decision
        self.delay = delay
    }

    func handleConnection(_ request: ConnectionRequest) {
        request.deferDecision()
        context.scheduler.schedule(after: delay) { [self] in
            switch decision {
            case .accept:
                let transport = request.accept()
                if transport.isClosed { return lateAcceptClosed = true }
                lateAcceptClosed = false
                guard let peer = try? room.createPeer(id: request.queryValue("peerId") ?? "?", transport: transport) else { return }
                peer.onRequest { .accept($0.data) }
            case .reject(let status, let reason):
                request.reject(status: status, reason: reason)
            }
        }
    }
}

/// Lets a peer in only with a token your service vouches for, and only then replaces a peer that
/// has the same id (a reconnect after a network drop).
final class AuthenticatedRoomApp: ProtooApp {
    let context: EngineContext
    let room: Room
    let tokens: @Sendable (String) async -> String?   // token → the peer id it was issued for

    init(context: EngineContext, tokens: @escaping @Sendable (String) async -> String?) {
        self.context = context
        self.room = Room(context: context)
        self.tokens = tokens
    }

    func handleConnection(_ request: ConnectionRequest) {
        guard let token = request.queryValue("token"), let peerID = request.queryValue("peerId") else {
            return request.reject(status: 401, reason: "token and peerId required")
        }
        request.deferDecision()
        context.spawn("authenticate") { [self] in
            guard await tokens(token) == peerID else { return request.reject(status: 403, reason: "invalid token") }
            room.peer(peerID)?.close()   // an authenticated reconnect replaces the old connection
            _ = try? room.createPeer(id: peerID, transport: request.accept())
        }
    }
}
