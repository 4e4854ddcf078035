import Foundation
import NIOCore
import NIOSSL
import NIOPosix
import Protoo
import ProtooApps
import ProtooClient
import ProtooWebSocket
import Testing

/// Server behaviour outside the conformance app: handshake answers, undecided connections,
/// keep-alive, the traffic tap, TLS and the event-loop scheduler.
@Suite(.timeLimit(.minutes(1)))
struct ServerBehaviourTests {
    @Test func handshakeAnswers() async throws {
        let server = try await Harness.startServer()
        let port = server.port
        let noProtocol = try await RawTCP.exchange(port: port, request: RawTCP.upgradeRequest(port: port, target: "/?peerId=a", subprotocol: nil), timeout: .seconds(5))
        #expect(noProtocol.statusLine == "HTTP/1.1 403 Forbidden")
        #expect(noProtocol.response.hasSuffix("invalid/missing Sec-WebSocket-Protocol"))
        #expect(noProtocol.closedByServer)
        let rejected = try await RawTCP.exchange(port: port, request: RawTCP.upgradeRequest(port: port, target: "/?peerId=reject"), timeout: .seconds(5))
        #expect(rejected.statusLine == "HTTP/1.1 403 Forbidden")
        #expect(rejected.response.contains("X-WebSocket-Reject-Reason: Sorry!"))
        let missing = try await RawTCP.exchange(port: port, request: RawTCP.upgradeRequest(port: port, target: "/"), timeout: .seconds(5))
        #expect(missing.statusLine == "HTTP/1.1 400 Bad Request")
        let plain = try await RawTCP.exchange(port: port, request: "GET / HTTP/1.1\r\nHost: x\r\n\r\n", timeout: .seconds(5))
        #expect(plain.statusLine == "HTTP/1.1 426 Upgrade Required")
        let accepted = try await RawTCP.exchange(port: port, request: RawTCP.upgradeRequest(port: port, target: "/?peerId=ok"), timeout: .milliseconds(300))
        #expect(accepted.statusLine == "HTTP/1.1 101 Switching Protocols")
        #expect(accepted.response.contains("Sec-WebSocket-Protocol: protoo"))
        #expect(!accepted.closedByServer)
        await server.shutdown()
    }

    @Test func undecidedConnectionIsAnswered500AndALateAcceptGetsAClosedTransport() async throws {
        let configuration = ProtooServer.Configuration(port: 0, logger: Harness.quietLogger)
        let server = try await ProtooServer.start(configuration) { DeferringApp(context: $0) }
        let port = server.port
        let exchange = try await RawTCP.exchange(port: port, request: RawTCP.upgradeRequest(port: port, target: "/?peerId=a"), timeout: .seconds(5))
        #expect(exchange.statusLine == "HTTP/1.1 500 Internal Server Error")
        let lateTransportClosed = try await server.withApp { ($0 as? DeferringApp)?.lateTransportClosed }
        #expect(lateTransportClosed == true)
        await server.shutdown()
    }

    @Test func keepAliveDropsASilentConnection() async throws {
        var limits = WebSocketLimits()
        limits.keepAliveInterval = .milliseconds(100)
        limits.keepAliveTimeout = .milliseconds(100)
        let server = try await Harness.startServer(limits: limits)
        let port = server.port
        let clock = ContinuousClock()
        let start = clock.now
        let silent = try await RawTCP.exchange(port: port, request: RawTCP.upgradeRequest(port: port, target: "/?peerId=silent"), timeout: .seconds(5))
        let elapsed = clock.now - start
        #expect(silent.statusLine == "HTTP/1.1 101 Switching Protocols")
        #expect(silent.closedByServer)
        #expect(elapsed >= .milliseconds(200))
        // A client that answers pings stays connected through many keep-alive rounds.
        let a = try await Harness.openClient(server, peerID: "a")
        try await Task.sleep(for: .milliseconds(700))
        #expect(await a.log.events == [.open])
        #expect(try await a.client.request("echo", ["alive": true]) == ["alive": true])
        await a.client.close()
        await server.shutdown()
    }

    @Test func trafficTapSeesConnectionsMessagesAndCloses() async throws {
        let tap = RecordingTap()
        let server = try await Harness.startServer(tap: tap)
        let a = try await Harness.openClient(server, peerID: "a")
        _ = try await a.client.request("echo", ["x": 1])
        let refused = try await Harness.client(server, query: "peerId=reject", reconnect: nil)
        try await Harness.waitUntil("refused") { await refused.log.events.contains(.close) }
        await a.client.close()
        try await Harness.waitUntil("close recorded") { tap.entries.contains { $0.hasPrefix("closed 1") } }
        let entries = tap.entries
        #expect(entries.first == "requested 1 /?peerId=a")
        #expect(entries.contains("accepted 1"))
        #expect(entries.contains { $0.hasPrefix("in 1 {\"request\":true") && $0.contains("\"method\":\"echo\"") })
        #expect(entries.contains { $0.hasPrefix("out 1 {\"response\":true") })
        #expect(entries.contains("requested 2 /?peerId=reject"))
        #expect(entries.contains("rejected 2 403 Sorry!"))
        #expect(entries.contains("closed 1 1000 remote"))
        await server.shutdown()
    }

    @Test func secureWebSocket() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("protoo-tls-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let cert = directory.appendingPathComponent("cert.pem").path, key = directory.appendingPathComponent("key.pem").path
        let made = try await RawWebSocketTests.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                                                    "-days", "1", "-subj", "/CN=localhost"], timeout: .seconds(30))
        try #require(made.status == 0, "openssl is needed to make a test certificate:\n\(made.output)")

        let configuration = ProtooServer.Configuration(port: 0, tls: .init(certificatePath: cert, privateKeyPath: key), logger: Harness.quietLogger)
        let server = try await ProtooServer.start(configuration, app: try #require(BuiltInApps.factory(named: "conformance")))
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(cert)
        tls.certificateVerification = .noHostnameVerification
        let client = try await ProtooClient.start(url: "wss://127.0.0.1:\(server.port)/?peerId=secure",
                                                  configuration: .init(reconnect: nil, tls: tls, logger: Harness.quietLogger))
        var events = client.events.makeAsyncIterator()
        #expect(await events.next() == .open)
        #expect(try await client.request("echo", ["tls": true]) == ["tls": true])
        await client.close()
        await server.shutdown()

        await #expect(throws: ProtooServerError.self) {
            _ = try await ProtooServer.start(.init(port: 0, tls: .init(certificatePath: key, privateKeyPath: cert), logger: Harness.quietLogger)) {
                ConformanceApp(context: $0)
            }
        }
    }

    @Test func eventLoopSchedulerRunsInDeadlineOrderAndCancels() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let order = try await loop.flatSubmit { () -> EventLoopFuture<[String]> in
            let scheduler = NIOEventLoopScheduler(eventLoop: loop)
            let done = loop.makePromise(of: [String].self)
            var order: [String] = []
            let start = scheduler.now
            scheduler.schedule(after: .milliseconds(30)) {
                order.append("30ms")
                order.append(scheduler.now - start >= .milliseconds(30) ? "late-enough" : "too-early")
                done.succeed(order)
            }
            scheduler.schedule(after: .milliseconds(10)) { order.append("10ms") }
            let cancelled = scheduler.schedule(after: .milliseconds(20)) { order.append("cancelled") }
            cancelled.cancel()
            scheduler.enqueue { order.append("enqueued") }
            order.append("sync")
            return done.futureResult
        }.get()
        #expect(order == ["sync", "enqueued", "10ms", "30ms", "late-enough"])
        try await group.shutdownGracefully()
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

/// Records the tap's calls as short strings.
final class RecordingTap: TrafficTap, @unchecked Sendable { // called on the server loop, read by tests: guarded by `lock`
    private let lock = NSLock()
    private var log: [String] = []
    var entries: [String] { lock.withLock { log } }
    private func add(_ entry: String) { lock.withLock { log.append(entry) } }

    func connectionRequested(_ connection: ConnectionID, at time: Instant, target: String, headers: [(name: String, value: String)], remoteAddress: String) {
        add("requested \(connection) \(target)")
    }
    func connectionAccepted(_ connection: ConnectionID, at time: Instant) { add("accepted \(connection)") }
    func connectionRejected(_ connection: ConnectionID, at time: Instant, status: Int, reason: String) { add("rejected \(connection) \(status) \(reason)") }
    func messageReceived(_ connection: ConnectionID, at time: Instant, text: String) { add("in \(connection) \(text)") }
    func messageSent(_ connection: ConnectionID, at time: Instant, text: String) { add("out \(connection) \(text)") }
    func connectionClosed(_ connection: ConnectionID, at time: Instant, event: TransportCloseEvent) {
        add("closed \(connection) \(event.code.map(String.init) ?? "-") \(event.initiator.rawValue)")
    }
}

/// The production scheduler's own timer heap: order, re-arming, timers scheduled while firing, and
/// cancelled timers that never pile up.
@Suite(.timeLimit(.minutes(1)))
struct NIOEventLoopSchedulerTests {
    @Test func timersRunInDeadlineThenInsertionOrderAndReArmEarlier() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let order = try await loop.flatSubmit { () -> EventLoopFuture<[String]> in
            let scheduler = NIOEventLoopScheduler(eventLoop: loop)
            let done = loop.makePromise(of: [String].self)
            var order: [String] = []
            let start = scheduler.now
            scheduler.schedule(at: start + .milliseconds(400)) {
                order.append("400ms")
                done.succeed(order)
            }
            scheduler.schedule(at: start + .milliseconds(20)) { order.append("20ms-a") }
            // Earlier than the armed wake-up: the wake-up moves (it does not wait for 400 ms).
            scheduler.schedule(at: start + .milliseconds(5)) {
                order.append("5ms")
                order.append(scheduler.now - start < .milliseconds(200) ? "on time" : "late")
                // Scheduled while firing, already due: runs in the same round, after what was due.
                scheduler.schedule(at: start) { order.append("past") }
            }
            scheduler.schedule(at: start + .milliseconds(20)) { order.append("20ms-b") }
            let cancelled = scheduler.schedule(at: start + .milliseconds(10)) { order.append("cancelled") }
            cancelled.cancel()
            cancelled.cancel()
            return done.futureResult
        }.get()
        #expect(order == ["5ms", "on time", "past", "20ms-a", "20ms-b", "400ms"])
        try await group.shutdownGracefully()
    }

    @Test func cancelledTimersAreDroppedNotKept() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let (heapCount, fired) = try await loop.flatSubmit { () -> EventLoopFuture<(Int, Bool)> in
            let scheduler = NIOEventLoopScheduler(eventLoop: loop)
            let done = loop.makePromise(of: (Int, Bool).self)
            var fired = false
            // A request timeout that is answered, 20,000 times: each is scheduled, then cancelled.
            for _ in 0..<20_000 {
                scheduler.schedule(after: .seconds(30)) { fired = true }.cancel()
            }
            let count = scheduler.heapCount
            scheduler.schedule(after: .milliseconds(5)) { done.succeed((count, fired)) }
            return done.futureResult
        }.get()
        #expect(heapCount < 3_000, "cancelled timers are compacted away (heap held \(heapCount))")
        #expect(!fired)
        try await group.shutdownGracefully()
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

extension NIOEventLoopSchedulerTests {
    /// Request timeouts over real sockets go through the event-loop scheduler's own heap: the
    /// unanswered requests time out (not before their deadline), the answered ones cancel theirs.
    @Test func requestTimeoutsFireAndAnsweredRequestsCancelThem() async throws {
        let server = try await ProtooServer.start(.init(host: "127.0.0.1", port: 0, logger: Harness.quietLogger)) { SilentApp(context: $0) }
        // 10 ms unit: a timeout of 150 ms plus 1 ms per request already pending.
        let configuration = ProtooClient.Configuration(reconnect: nil, peer: Peer.Configuration(timeoutUnit: .milliseconds(10)),
                                                       logger: Harness.quietLogger)
        let client = try await ProtooClient.start(url: "ws://127.0.0.1:\(server.port)/?peerId=a", configuration: configuration)
        for await event in client.events where event == .open { break }
        let clock = ContinuousClock()
        let start = clock.now
        let outcomes = await withTaskGroup(of: (String, Duration).self) { group in
            for i in 0..<40 {
                let method = i % 10 == 0 ? "wait" : "echo"
                group.addTask {
                    do {
                        _ = try await client.request(method, ["i": .int(Int64(i))])
                        return ("answered \(method)", clock.now - start)
                    } catch let error as ProtooError {
                        return ("\(error == .requestTimeout ? "timed out" : "failed") \(method)", clock.now - start)
                    } catch {
                        return ("failed \(method)", clock.now - start)
                    }
                }
            }
            var all: [(String, Duration)] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        #expect(outcomes.filter { $0.0 == "answered echo" }.count == 36)
        let timedOut = outcomes.filter { $0.0 == "timed out wait" }
        #expect(timedOut.count == 4)
        #expect(timedOut.allSatisfy { $0.1 >= .milliseconds(150) }, "no timeout fires before its deadline")
        await client.close()
        await server.shutdown()
    }
}
