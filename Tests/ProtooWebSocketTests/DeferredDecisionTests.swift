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
