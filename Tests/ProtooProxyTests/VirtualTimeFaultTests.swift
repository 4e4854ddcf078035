import Foundation
import Protoo
@testable import ProtooProxy
import ProtooTestSupport
import ProtooTrace
import Testing

/// The relay and its faults on virtual time, through the dialer seam: exact instants, no sockets.
@Suite struct VirtualTimeFaultTests {
    /// Hands out in-memory upstream connections; the test holds the server ends.
    final class MemoryDialer: UpstreamDialing {
        let scheduler: any Scheduler
        var serverEnds: [MemoryTransport] = []
        var targets: [String] = []
        init(scheduler: any Scheduler) { self.scheduler = scheduler }

        func dial(target: String, headers: [(name: String, value: String)], completion: @escaping (UpstreamOutcome) -> Void) -> () -> Void {
            let (proxySide, serverSide) = MemoryTransport.pair(scheduler: scheduler)
            serverEnds.append(serverSide)
            targets.append(target)
            scheduler.enqueue { completion(.opened(proxySide)) }
            return {}
        }
    }

    /// Hands out upstream connections only when the test says so.
    final class HeldDialer: UpstreamDialing {
        var pending: [(UpstreamOutcome) -> Void] = []
        var abandoned = 0
        func dial(target: String, headers: [(name: String, value: String)], completion: @escaping (UpstreamOutcome) -> Void) -> () -> Void {
            pending.append(completion)
            return { [self] in abandoned += 1 }
        }
    }

    /// What one end received, with the virtual instant (in milliseconds, and exactly).
    final class Arrivals: TransportDelegate {
        let scheduler: any Scheduler
        var log: [(at: Int64, text: String)] = []
        var instants: [Instant] = []
        var closed: TransportCloseEvent?
        var closedAt: Instant?
        init(scheduler: any Scheduler) { self.scheduler = scheduler }
        func transport(_ transport: any Transport, didReceive text: String) {
            log.append((scheduler.now.nanoseconds / 1_000_000, text))
            instants.append(scheduler.now)
        }
        func transport(_ transport: any Transport, didClose event: TransportCloseEvent) {
            closed = event
            closedAt = scheduler.now
        }
    }

    /// One client connection relayed by a proxy on virtual time, its upstream connected at 0.
    struct Relayed {
        let scheduler: VirtualScheduler
        let app: ProxyApp
        let client: MemoryTransport
        let server: MemoryTransport
        let toClient: Arrivals
        let toServer: Arrivals
    }

    static func relayed(_ configure: (inout ProxyConfiguration) -> Void) throws -> Relayed {
        let (context, scheduler) = EngineContext.virtual()
        let dialer = MemoryDialer(scheduler: scheduler)
        var configuration = try ProxyConfiguration(upstream: "ws://upstream.invalid:1", logger: Harness.quietLogger)
        configure(&configuration)
        let app = ProxyApp(configuration: configuration, context: context, dialer: dialer)
        let (client, proxySide) = MemoryTransport.pair(scheduler: scheduler)
        let toClient = Arrivals(scheduler: scheduler)
        client.delegate = toClient
        let request = ConnectionRequest(path: "/", query: [], headers: [], remoteAddress: "10.0.0.1:5",
                                        accept: { proxySide }, reject: { _, _ in })
        app.handleConnection(request)
        scheduler.run(until: .zero)
        let server = try #require(dialer.serverEnds.first)
        let toServer = Arrivals(scheduler: scheduler)
        server.delegate = toServer
        return Relayed(scheduler: scheduler, app: app, client: client, server: server, toClient: toClient, toServer: toServer)
    }

    /// When the first timed fault of connection 1 strikes under `faults` and `seed`, for a relay started at 0.
    static func firstFault(_ faults: ProxyFaults, seed: UInt64) throws -> (at: Instant, event: ConnectionFaults.Event) {
        var plan = ConnectionFaults(faults, seed: seed, connection: 1)
        plan.start(at: .zero)
        let first = plan.nextEvent()
        return try #require(first)
    }

    /// The last instant before `instant`.
    static func justBefore(_ instant: Instant) -> Instant { Instant(nanoseconds: instant.nanoseconds - 1) }

    @Test func latencyDelaysEachMessageAndTheCloseBehindThem() throws {
        let (context, scheduler) = EngineContext.virtual()
        let dialer = MemoryDialer(scheduler: scheduler)
        var configuration = try ProxyConfiguration(upstream: "ws://upstream.invalid:1", logger: Harness.quietLogger)
        configuration.faults.latency = .milliseconds(50)
        configuration.seed = 1
        let app = ProxyApp(configuration: configuration, context: context, dialer: dialer)
        let (client, proxySide) = MemoryTransport.pair(scheduler: scheduler)
        let toClient = Arrivals(scheduler: scheduler)
        client.delegate = toClient
        var rejected: Int?
        let request = ConnectionRequest(path: "/", query: [("peerId", "a")], headers: [], remoteAddress: "10.0.0.1:5", target: "/?peerId=a",
                                        accept: { proxySide }, reject: { status, _ in rejected = status })
        app.handleConnection(request)
        #expect(request.isDeferred)
        scheduler.advance(by: .milliseconds(1))
        #expect(dialer.targets == ["/?peerId=a"])
        guard case .accepted = request.decision else { Issue.record("not accepted: \(String(describing: rejected))"); return }
        let server = try #require(dialer.serverEnds.first)
        let toServer = Arrivals(scheduler: scheduler)
        server.delegate = toServer

        client.send("one")
        client.send("two")
        scheduler.advance(by: .milliseconds(40))
        #expect(toServer.log.isEmpty)
        scheduler.advance(by: .milliseconds(20))
        #expect(toServer.log.map(\.at) == [51, 51])
        #expect(toServer.log.map(\.text) == ["one", "two"])
        server.send("back")
        scheduler.advance(by: .milliseconds(100))
        #expect(toClient.log.map(\.at) == [111])
        // The close travels behind the messages, with the same latency.
        client.send("last")
        client.close(code: 3005, reason: "bye")
        scheduler.advance(by: .milliseconds(100))
        #expect(toServer.log.last?.text == "last")
        #expect(toServer.closed == TransportCloseEvent(code: 3005, reason: "bye", initiator: .remote))
        #expect(app.relayedConnections == 0)
    }

    @Test func lossDecisionsDependOnlyOnSeedConnectionAndDirection() throws {
        func run(seed: UInt64, serverTalks: Bool = true) throws -> [String] {
            let (context, scheduler) = EngineContext.virtual()
            let dialer = MemoryDialer(scheduler: scheduler)
            var configuration = try ProxyConfiguration(upstream: "ws://upstream.invalid:1", logger: Harness.quietLogger)
            configuration.faults.lossProbability = 0.3
            configuration.seed = seed
            let app = ProxyApp(configuration: configuration, context: context, dialer: dialer)
            let (client, proxySide) = MemoryTransport.pair(scheduler: scheduler)
            let request = ConnectionRequest(path: "/", query: [], headers: [], remoteAddress: "10.0.0.1:5",
                                            accept: { proxySide }, reject: { _, _ in })
            app.handleConnection(request)
            scheduler.advance(by: .milliseconds(1))
            let server = try #require(dialer.serverEnds.first)
            let toServer = Arrivals(scheduler: scheduler)
            server.delegate = toServer
            for i in 0..<40 {
                client.send("c\(i)")
                if serverTalks { server.send("s\(i)") }  // the other direction draws from its own stream
                scheduler.advance(by: .milliseconds(1))
            }
            return toServer.log.map(\.text)
        }
        let a = try run(seed: 11)
        #expect(a == (try run(seed: 11)))
        #expect(a == (try run(seed: 11, serverTalks: false)))
        #expect(a != (try run(seed: 12)))
        #expect((15...39).contains(a.count))
    }

    @Test func aClogHoldsTrafficBothWaysUntilItEndsThenDeliversItInOrder() throws {
        var faults = ProxyFaults()
        faults.clogRate = 60   // one a second on average
        faults.clogDuration = .milliseconds(100)
        let clog = try Self.firstFault(faults, seed: 9)
        #expect(clog.event == .clog)
        let r = try Self.relayed {
            $0.faults = faults
            $0.seed = 9
        }
        r.scheduler.run(until: Self.justBefore(clog.at))
        r.client.send("before")
        r.scheduler.run(until: Self.justBefore(clog.at))
        #expect(r.toServer.log.map(\.text) == ["before"], "held before the clog")
        r.scheduler.run(until: clog.at + .milliseconds(10))
        r.client.send("one")
        r.client.send("two")
        r.server.send("back")
        let end = clog.at + .milliseconds(100)
        r.scheduler.run(until: Self.justBefore(end))
        #expect(r.toServer.log.map(\.text) == ["before"], "released before the clog's end")
        #expect(r.toClient.log.isEmpty)
        r.scheduler.run(until: end)
        #expect(r.toServer.log.map(\.text) == ["before", "one", "two"])
        #expect(r.toServer.instants.suffix(2) == [end, end])
        #expect(r.toClient.log.map(\.text) == ["back"])
        #expect(r.toClient.instants == [end])
    }

    @Test func jitterDelaysEachMessageWithinItsRangeAndKeepsOrder() throws {
        let r = try Self.relayed {
            $0.faults.latency = .milliseconds(50)
            $0.faults.jitter = .milliseconds(40)
            $0.seed = 5
        }
        for i in 0..<20 {
            r.client.send("m\(i)")
            r.scheduler.advance(by: .milliseconds(1))
        }
        r.scheduler.advance(by: .milliseconds(200))
        #expect(r.toServer.log.map(\.text) == (0..<20).map { "m\($0)" })
        // Sent at i ms, each arrives 50 to 90 ms later (a later one never overtakes an earlier one).
        for (i, at) in r.toServer.instants.enumerated() {
            let delay = at - (Instant.zero + .milliseconds(Int64(i)))
            #expect(delay >= .milliseconds(50) && delay <= .milliseconds(90), "m\(i) took \(delay)")
        }
        #expect(r.toServer.instants == r.toServer.instants.sorted())
    }

    @Test func anInjectedServerCloseStrikesAtItsInstant() throws {
        var faults = ProxyFaults()
        faults.serverCloseRate = 60
        let strike = try Self.firstFault(faults, seed: 3)
        #expect(strike.event == .serverClose)
        let r = try Self.relayed {
            $0.faults = faults
            $0.seed = 3
        }
        r.scheduler.run(until: Self.justBefore(strike.at))
        #expect(r.toClient.closed == nil)
        #expect(r.toServer.closed == nil)
        r.scheduler.run(until: strike.at)
        #expect(r.toClient.closed == TransportCloseEvent(code: CloseCode.protoo, reason: "closed by protoo-server", initiator: .remote))
        #expect(r.toServer.closed == TransportCloseEvent(code: CloseCode.goingAway, reason: "protoo proxy: injected server close", initiator: .remote))
        #expect(r.toClient.closedAt == strike.at)
        #expect(r.toServer.closedAt == strike.at)
        #expect(r.app.relayedConnections == 0)
    }

    @Test func anInjectedDropLosesBothSidesAtItsInstantWithoutACloseFrame() throws {
        var faults = ProxyFaults()
        faults.dropRate = 60
        let strike = try Self.firstFault(faults, seed: 4)
        #expect(strike.event == .drop)
        let r = try Self.relayed {
            $0.faults = faults
            $0.seed = 4
        }
        r.scheduler.run(until: Self.justBefore(strike.at))
        #expect(r.toClient.closed == nil)
        r.scheduler.run(until: strike.at)
        #expect(r.toClient.closed?.code == nil)
        #expect(r.toClient.closed?.initiator == .network)
        #expect(r.toServer.closed?.code == nil)
        #expect(r.toServer.closed?.initiator == .network)
        #expect(r.toClient.closedAt == strike.at)
    }

    /// An upstream that does not answer: the client's upgrade waits for it up to the upstream
    /// timeout, then is refused 504 and the dial abandoned; a dial that completes later is closed.
    @Test func anUpstreamThatDoesNotAnswerIsAnswered504AtTheUpstreamTimeout() throws {
        let (context, scheduler) = EngineContext.virtual()
        let dialer = HeldDialer()
        let tap = RecordingTap()
        var configuration = try ProxyConfiguration(upstream: "ws://upstream.invalid:1", logger: Harness.quietLogger)
        configuration.upstreamTimeout = .seconds(5)
        configuration.trafficTap = tap
        let app = ProxyApp(configuration: configuration, context: context, dialer: dialer)
        var refusal: (status: Int, reason: String)?
        let (clientSide, _) = MemoryTransport.pair(scheduler: scheduler)
        let request = ConnectionRequest(path: "/", query: [("peerId", "a")], headers: [], remoteAddress: "10.0.0.1:5", target: "/?peerId=a",
                                        accept: { clientSide }, reject: { status, reason in refusal = (status, reason) })
        app.handleConnection(request)
        #expect(request.isDeferred)
        scheduler.run(until: Self.justBefore(.zero + .seconds(5)))
        #expect(refusal?.status == nil, "refused before the upstream timeout")
        #expect(dialer.abandoned == 0)
        scheduler.run(until: .zero + .seconds(5))
        #expect(refusal?.status == 504)
        #expect(refusal?.reason == "upstream did not answer within 5.0 seconds")
        #expect(dialer.abandoned == 1)
        #expect(tap.entries == ["requested 1 /?peerId=a", "rejected 1 504 upstream did not answer within 5.0 seconds"])
        // The upstream answering after all: its connection is closed at once, nothing relayed.
        let (late, lateServerSide) = MemoryTransport.pair(scheduler: scheduler)
        let lateServer = Arrivals(scheduler: scheduler)
        lateServerSide.delegate = lateServer
        let completeLate = try #require(dialer.pending.first)
        completeLate(.opened(late))
        scheduler.advance(by: .milliseconds(1))
        #expect(late.isClosed)
        #expect(lateServer.closed?.initiator == .network)
        #expect(app.relayedConnections == 0)
    }

    /// The recording marks each injected fault, and the completion of the close the proxy made
    /// upstream, at their virtual instants.
    @Test func injectedFaultsAreMarkedInTheTraceAtTheirInstants() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("proxy-faults-\(UUID().uuidString).ptrace.zst").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let header = TraceHeader(createdAtUnixNanoseconds: 0, producerName: "protoo proxy --upstream test", producerVersion: "test", host: "test")
        let recorder = try TraceRecorder(configuration: TraceRecorderConfiguration(path: path, header: header))
        var faults = ProxyFaults()
        faults.lossProbability = 1
        faults.serverCloseRate = 12  // one every 5 s on average
        let strike = try Self.firstFault(faults, seed: 2)
        #expect(strike.event == .serverClose)
        try #require(strike.at > .zero + .milliseconds(1), "the fault must strike after the message is sent")
        let r = try Self.relayed {
            $0.trafficTap = recorder
            $0.faults = faults
            $0.seed = 2
        }
        r.scheduler.advance(by: .milliseconds(1))
        r.client.send("lost")
        r.scheduler.run(until: strike.at + .seconds(1))
        try recorder.close()
        let source = try TraceFiles.openSource(path)
        var markers: [String] = []
        while let record = try source.next() {
            if case .marker(let name, let text) = record.event { markers.append("\(name): \(text) @\(record.time)") }
        }
        #expect(r.toServer.log.isEmpty)
        // The injected server close is the proxy closing the upstream side: its completion is marked too.
        #expect(markers == ["fault: message lost towards upstream (4 bytes) @1000000",
                            "fault: server close @\(strike.at.nanoseconds)", "closeCompleted:  @\(strike.at.nanoseconds)"])
    }
}
