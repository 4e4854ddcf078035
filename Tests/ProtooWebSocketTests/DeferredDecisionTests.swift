import Protoo
import ProtooClient
import ProtooWebSocket
import Testing

/// Connection decisions taken after `handleConnection` returned (`request.deferDecision()`):
/// the upgrade waits for them, bounded by the handshake timeout.
@Suite(.timeLimit(.minutes(1)))
struct DeferredDecisionTests {
    @Test func acceptTakenLaterOpensTheConnection() async throws {
        let server = try await start(.accept, after: .milliseconds(150))
        let clock = ContinuousClock()
        let started = clock.now
        let a = try await Harness.openClient(server, peerID: "a", reconnect: nil)
        #expect(clock.now - started >= .milliseconds(150), "the upgrade was answered before the app decided")
        #expect(try await a.client.request("echo", ["later": true]) == ["later": true])
        await a.client.close()
        await server.shutdown()
    }

    @Test func rejectTakenLaterAnswersItsStatusAndReason() async throws {
        let server = try await start(.reject(status: 401, reason: "decided later"), after: .milliseconds(100))
        let port = server.port
        let exchange = try await RawTCP.exchange(port: port, request: RawTCP.upgradeRequest(port: port, target: "/?peerId=a"), timeout: .seconds(5))
        #expect(exchange.statusLine == "HTTP/1.1 401 Unauthorized")
        #expect(exchange.response.contains("X-WebSocket-Reject-Reason: decided later"))
        #expect(exchange.closedByServer)
        await server.shutdown()
    }

    @Test func decisionPastTheHandshakeTimeoutIsIgnored() async throws {
        // Wide margins: under a loaded parallel test run a 300 ms deadline could pass between the
        // connect and the request's write.
        let server = try await start(.accept, after: .seconds(3), handshakeTimeout: .seconds(1))
        let port = server.port
        // Closed by the handshake deadline (1 s), not answered by the decision (3 s): no response at all.
        let exchange = try await RawTCP.exchange(port: port, request: RawTCP.upgradeRequest(port: port, target: "/?peerId=a"), timeout: .seconds(5))
        #expect(exchange.closedByServer)
        #expect(exchange.response.isEmpty, "no answer was due: \(exchange.response)")
        try await Harness.waitUntil("the late accept") { (try? await server.withApp { ($0 as? LaterApp)?.lateAcceptClosed }) != nil }
        #expect(try await server.withApp { ($0 as? LaterApp)?.lateAcceptClosed } == true)
        await server.shutdown()
    }

    /// docs/server.md's example: a token checked (asynchronously) before anyone is let in, and a
    /// peer replaced only by an authenticated connection.
    @Test func onlyAnAuthenticatedConnectionReplacesAPeer() async throws {
        let configuration = ProtooServer.Configuration(port: 0, shutdownGracePeriod: .seconds(1), logger: Harness.quietLogger)
        let server = try await ProtooServer.start(configuration) { context in
            AuthenticatedRoomApp(context: context, tokens: { token in token.hasPrefix("good-") ? String(token.dropFirst(5)) : nil })
        }
        let first = try await Harness.client(server, query: "peerId=alice&token=good-alice", reconnect: nil)
        try await Harness.waitUntil("alice open") { await first.log.events.contains(.open) }
        // A wrong token, or another peer's, is refused and evicts nobody.
        for query in ["peerId=alice&token=bad", "peerId=alice&token=good-bob", "peerId=alice"] {
            let exchange = try await RawTCP.exchange(port: server.port, request: RawTCP.upgradeRequest(port: server.port, target: "/?\(query)"),
                                                     timeout: .seconds(5))
            #expect(exchange.statusLine.hasPrefix("HTTP/1.1 40"), "\(query): \(exchange.statusLine)")
        }
        // Still connected: the refused ones replaced nobody (the app answers no request: 501 is an answer).
        await #expect(throws: ProtooError.rejected(code: 501, reason: "no request handler [method:ping]")) { try await first.client.request("ping") }
        #expect(await first.log.events == [.open])
        // Alice again, with her token: the new connection takes her place (the old one gets 4000).
        let second = try await Harness.client(server, query: "peerId=alice&token=good-alice", reconnect: nil)
        try await Harness.waitUntil("the old connection closed") { await first.log.events.contains(.close) }
        try await Harness.waitUntil("alice open again") { await second.log.events.contains(.open) }
        await second.client.close()
        await server.shutdown()
    }

    private func start(_ decision: LaterApp.Decision, after delay: Duration, handshakeTimeout: Duration = .seconds(10)) async throws -> ProtooServer {
        let configuration = ProtooServer.Configuration(port: 0, shutdownGracePeriod: .seconds(1), logger: Harness.quietLogger,
                                                       handshakeTimeout: handshakeTimeout)
        return try await ProtooServer.start(configuration) { LaterApp(context: $0, decision: decision, delay: delay) }
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
