import Foundation
import NIOCore
import NIOEmbedded
import NIOSSL
import Protoo
import ProtooApps
import ProtooClient
import ProtooTestSupport
import ProtooWebSocketCore
import ProtooWebSocket
import Testing

/// Server behaviour outside the conformance app: handshake answers, undecided connections, the
/// traffic tap and TLS (keep-alive and the other deadlines: ServerDeadlineTests, on virtual time).
@Suite(.timeLimit(.minutes(1)))
struct ServerBehaviourTests {
    @Test func handshakeAnswers() async throws {
        try await withServer { server in
            let port = server.port
            let noProtocol = try await RawTCP.exchange(port: port, request: RawTCP.upgradeRequest(port: port, target: "/?peerId=a", subprotocol: nil), timeout: .seconds(10))
            #expect(noProtocol.statusLine == "HTTP/1.1 403 Forbidden")
            #expect(noProtocol.response.hasSuffix("invalid/missing Sec-WebSocket-Protocol"))
            #expect(noProtocol.closedByServer)
            let rejected = try await RawTCP.exchange(port: port, request: RawTCP.upgradeRequest(port: port, target: "/?peerId=reject"), timeout: .seconds(10))
            #expect(rejected.statusLine == "HTTP/1.1 403 Forbidden")
            #expect(rejected.response.contains("X-WebSocket-Reject-Reason: Sorry!"))
            let missing = try await RawTCP.exchange(port: port, request: RawTCP.upgradeRequest(port: port, target: "/"), timeout: .seconds(10))
            #expect(missing.statusLine == "HTTP/1.1 400 Bad Request")
            let plain = try await RawTCP.exchange(port: port, request: "GET / HTTP/1.1\r\nHost: x\r\n\r\n", timeout: .seconds(10))
            #expect(plain.statusLine == "HTTP/1.1 426 Upgrade Required")
            let (accepted, status) = try await RawWebSocketClient.upgraded(port: port, target: "/?peerId=ok")
            #expect(status == "HTTP/1.1 101 Switching Protocols")
            #expect(accepted.responseHead?.contains("Sec-WebSocket-Protocol: protoo") == true)
            #expect(try await accepted.echoes(id: 1), "the upgraded connection is served")
            await accepted.close()
        }
    }

    @Test func undecidedConnectionIsAnswered500AndALateAcceptGetsAClosedTransport() async throws {
        try await withServer(app: { DeferringApp(context: $0) }) { server in
            let port = server.port
            let exchange = try await RawTCP.exchange(port: port, request: RawTCP.upgradeRequest(port: port, target: "/?peerId=a"), timeout: .seconds(10))
            #expect(exchange.statusLine == "HTTP/1.1 500 Internal Server Error")
            try await waitUntil("the late accept") { (try? await server.withApp { ($0 as? DeferringApp)?.lateTransportClosed }) != nil }
            #expect(try await server.withApp { ($0 as? DeferringApp)?.lateTransportClosed } == true)
        }
    }

    @Test func trafficTapSeesConnectionsMessagesAndCloses() async throws {
        let tap = RecordingTap()
        try await withServer(configure: { $0.trafficTap = tap }) { server in
            let a = try await Harness.openClient(server, peerID: "a")
            _ = try await a.client.request("echo", ["x": 1])
            let refused = try await Harness.client(server, query: "peerId=reject", reconnect: nil)
            try await waitUntil("refused") { await refused.log.events.contains(.close) }
            await a.client.close()
            try await waitUntil("close recorded") { tap.entries.contains { $0.hasPrefix("closed 1") } }
            let entries = tap.entries
            #expect(entries.first == "requested 1 /?peerId=a")
            #expect(entries.contains("accepted 1"))
            #expect(entries.contains { $0.hasPrefix("in 1 {\"request\":true") && $0.contains("\"method\":\"echo\"") })
            #expect(entries.contains { $0.hasPrefix("out 1 {\"response\":true") })
            #expect(entries.contains("requested 2 /?peerId=reject"))
            #expect(entries.contains("rejected 2 403 Sorry!"))
            #expect(entries.contains("closed 1 1000 remote"))
        }
    }

    @Test func secureWebSocket() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("protoo-tls-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let cert = directory.appendingPathComponent("cert.pem").path, key = directory.appendingPathComponent("key.pem").path
        let made = try await RawWebSocketTests.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                                                    "-days", "1", "-subj", "/CN=localhost"], timeout: .seconds(30))
        try #require(made.status == 0, "openssl is needed to make a test certificate:\n\(made.output)")

        try await withServer(configure: { $0.tls = .init(certificatePath: cert, privateKeyPath: key) }) { server in
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(cert)
            tls.certificateVerification = .noHostnameVerification
            let client = try await ProtooClient.start(url: "wss://127.0.0.1:\(server.port)/?peerId=secure",
                                                      configuration: .init(reconnect: nil, tls: tls, logger: Harness.quietLogger))
            var events = client.events.makeAsyncIterator()
            #expect(await events.next() == .open)
            #expect(try await client.request("echo", ["tls": true]) == ["tls": true])
            await client.close()
        }

        await #expect(throws: ProtooServerError.self) {
            _ = try await ProtooServer.start(.init(port: 0, tls: .init(certificatePath: key, privateKeyPath: cert), logger: Harness.quietLogger)) {
                ConformanceApp(context: $0)
            }
        }
    }
}

/// Leaves every connection undecided, then accepts it on a later turn (too late).
final class DeferringApp: ProtooApp {
    let context: EngineContext
    var lateTransportClosed: Bool?
    init(context: EngineContext) { self.context = context }
    func handleConnection(_ request: ConnectionRequest) {
        context.scheduler.enqueue { [self] in
            lateTransportClosed = request.accept().isClosed
        }
    }
}

/// The production scheduler's own timer heap, on an embedded event loop's virtual time: order,
/// exact instants, re-arming, timers scheduled while firing, and cancelled timers that never pile up.
struct NIOEventLoopSchedulerTests {
    /// A scheduler on a fresh embedded loop, and a function that moves the loop's time on.
    static func scheduler() -> (NIOEventLoopScheduler, EmbeddedEventLoop) {
        let loop = EmbeddedEventLoop()
        return (NIOEventLoopScheduler(eventLoop: loop), loop)
    }

    @Test func timersRunInDeadlineThenInsertionOrderAtTheirInstants() throws {
        let (scheduler, loop) = Self.scheduler()
        defer { try? loop.syncShutdownGracefully() }
        var order: [String] = []
        func note(_ name: String) { order.append("\(name)@\(scheduler.now.nanoseconds / 1_000_000)") }
        scheduler.schedule(after: .milliseconds(30)) { note("30ms") }
        scheduler.schedule(after: .milliseconds(10)) { note("10ms") }
        let cancelled = scheduler.schedule(after: .milliseconds(20)) { note("cancelled") }
        cancelled.cancel()
        scheduler.enqueue { note("enqueued") }
        note("sync")
        loop.run()
        #expect(order == ["sync@0", "enqueued@0"])
        loop.advanceTime(by: .milliseconds(10) - .nanoseconds(1))
        #expect(order == ["sync@0", "enqueued@0"], "a timer fired before its deadline")
        loop.advanceTime(by: .nanoseconds(1))
        #expect(order.last == "10ms@10")
        loop.advanceTime(by: .milliseconds(30))
        #expect(order == ["sync@0", "enqueued@0", "10ms@10", "30ms@30"])
    }

    @Test func anEarlierTimerReArmsTheWakeUpAndOnesScheduledWhileFiringRunInTheSameRound() throws {
        let (scheduler, loop) = Self.scheduler()
        defer { try? loop.syncShutdownGracefully() }
        var order: [String] = []
        func note(_ name: String) { order.append("\(name)@\(scheduler.now.nanoseconds / 1_000_000)") }
        let start = scheduler.now
        scheduler.schedule(at: start + .milliseconds(400)) { note("400ms") }
        scheduler.schedule(at: start + .milliseconds(20)) { note("20ms-a") }
        // Earlier than the armed wake-up: the wake-up moves (it does not wait for 400 ms).
        scheduler.schedule(at: start + .milliseconds(5)) {
            note("5ms")
            // Scheduled while firing, already due: runs in the same round, after what was due.
            scheduler.schedule(at: start) { note("past") }
        }
        scheduler.schedule(at: start + .milliseconds(20)) { note("20ms-b") }
        let cancelled = scheduler.schedule(at: start + .milliseconds(10)) { note("cancelled") }
        cancelled.cancel()
        cancelled.cancel()
        loop.advanceTime(by: .milliseconds(5))
        #expect(order == ["5ms@5", "past@5"])
        loop.advanceTime(by: .milliseconds(15))
        #expect(order == ["5ms@5", "past@5", "20ms-a@20", "20ms-b@20"])
        loop.advanceTime(by: .milliseconds(380) - .nanoseconds(1))
        #expect(order.count == 4)
        loop.advanceTime(by: .nanoseconds(1))
        #expect(order.last == "400ms@400")
    }

    @Test func cancelledTimersAreDroppedNotKept() throws {
        let (scheduler, loop) = Self.scheduler()
        defer { try? loop.syncShutdownGracefully() }
        var fired = false
        // A request timeout that is answered, 20,000 times: each is scheduled, then cancelled.
        for _ in 0..<20_000 {
            scheduler.schedule(after: .seconds(30)) { fired = true }.cancel()
        }
        #expect(scheduler.heapCount < 3_000, "cancelled timers are compacted away (heap held \(scheduler.heapCount))")
        loop.advanceTime(by: .seconds(60))
        #expect(!fired)
    }

    /// Request timeouts through the event-loop scheduler's own heap: the unanswered requests time
    /// out at their deadline (15 units plus a tenth of a unit per request already pending), not a
    /// nanosecond before; the answered ones cancel theirs.
    @Test func requestTimeoutsFireAtTheirDeadlineAndAnsweredRequestsCancelThem() throws {
        let (scheduler, loop) = Self.scheduler()
        defer { try? loop.syncShutdownGracefully() }
        let context = EngineContext(scheduler: scheduler, random: SeededRandom(seed: 1), logger: Harness.quietLogger)
        let (clientSide, serverSide) = MemoryTransport.pair(scheduler: scheduler)
        let server = Peer(id: "server", transport: serverSide, context: context)
        server.onRequest { request in request.method == "echo" ? .accept(request.data) : .deferred }
        let client = Peer(id: "a", transport: clientSide, context: context, configuration: Peer.Configuration(timeoutUnit: .milliseconds(10)))
        var outcomes: [Int: String] = [:]
        for i in 0..<40 {
            let method = i % 10 == 0 ? "wait" : "echo"
            client.request(method, ["i": .int(Int64(i))]) { result in
                let outcome = switch result {
                case .success: "answered"
                case .failure(.requestTimeout): "timed out"
                case .failure(let error): "failed: \(error)"
                }
                outcomes[i] = "\(outcome) \(method)@\(scheduler.now.nanoseconds / 1_000_000)ms"
            }
        }
        loop.run()
        #expect(outcomes.count == 36)
        #expect(outcomes.values.allSatisfy { $0 == "answered echo@0ms" })
        // Request i was sent with i pending: its deadline is 150 ms + i ms.
        for (i, deadline) in [(0, 150), (10, 160), (20, 170), (30, 180)] {
            loop.advanceTime(to: .uptimeNanoseconds(UInt64(deadline) * 1_000_000 - 1))
            #expect(outcomes[i] == nil, "request \(i) timed out before its deadline")
            loop.advanceTime(by: .nanoseconds(1))
            #expect(outcomes[i] == "timed out wait@\(deadline)ms")
        }
        #expect(outcomes.count == 40)
        #expect(scheduler.heapCount == 0, "no timer left behind")
    }
}

/// Answers `echo`; leaves every other request unanswered.
final class SilentApp: ProtooApp {
    let context: EngineContext
    let room: Room
    init(context: EngineContext) {
        self.context = context
        room = Room(context: context)
    }
    func handleConnection(_ request: ConnectionRequest) {
        guard let peer = try? room.createPeer(id: request.queryValue("peerId") ?? "p", transport: request.accept()) else { return }
        peer.onRequest { request in request.method == "echo" ? .accept(request.data) : .deferred }
    }
}

/// Request timeouts over real sockets: the Swift client's unanswered requests time out, the
/// answered ones do not (the deadlines themselves are checked on virtual time above).
@Suite(.timeLimit(.minutes(1)))
struct RequestTimeoutOverSocketsTests {
    @Test func unansweredRequestsTimeOutAndAnsweredOnesDoNot() async throws {
        try await withServer(app: { SilentApp(context: $0) }) { server in
            // 10 ms unit: a timeout of 150 ms plus 1 ms per request already pending.
            let configuration = ProtooClient.Configuration(reconnect: nil, peer: Peer.Configuration(timeoutUnit: .milliseconds(10)),
                                                           logger: Harness.quietLogger)
            let client = try await ProtooClient.start(url: "ws://127.0.0.1:\(server.port)/?peerId=a", configuration: configuration)
            for await event in client.events where event == .open { break }
            let outcomes = await withTaskGroup(of: String.self) { group in
                for i in 0..<40 {
                    let method = i % 10 == 0 ? "wait" : "echo"
                    group.addTask {
                        do {
                            _ = try await client.request(method, ["i": .int(Int64(i))])
                            return "answered \(method)"
                        } catch let error as ProtooError {
                            return "\(error == .requestTimeout ? "timed out" : "failed") \(method)"
                        } catch {
                            return "failed \(method)"
                        }
                    }
                }
                var all: [String] = []
                for await outcome in group { all.append(outcome) }
                return all
            }
            #expect(outcomes.filter { $0 == "answered echo" }.count == 36)
            #expect(outcomes.filter { $0 == "timed out wait" }.count == 4)
            await client.close()
        }
    }
}
