import Protoo
@testable import ProtooProxy
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

    /// What one end received, with the virtual instant.
    final class Arrivals: TransportDelegate {
        let scheduler: any Scheduler
        var log: [(at: Int64, text: String)] = []
        var closed: TransportCloseEvent?
        init(scheduler: any Scheduler) { self.scheduler = scheduler }
        func transport(_ transport: any Transport, didReceive text: String) { log.append((scheduler.now.nanoseconds / 1_000_000, text)) }
        func transport(_ transport: any Transport, didClose event: TransportCloseEvent) { closed = event }
    }

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
}
