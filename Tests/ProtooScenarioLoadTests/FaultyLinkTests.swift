import Protoo
import Testing
@testable import ProtooScenarioLoad

/// The faults a scenario load injects into a client's real connection, on virtual time: a
/// `MemoryTransport` pair stands for the socket and the server.
@Suite struct FaultyLinkTests {
    final class Recorder: TransportDelegate {
        var received: [(at: Instant, text: String)] = []
        var closes: [TransportCloseEvent] = []
        let scheduler: VirtualScheduler
        init(_ scheduler: VirtualScheduler) { self.scheduler = scheduler }
        func transport(_ transport: any Transport, didReceive text: String) { received.append((scheduler.now, text)) }
        func transport(_ transport: any Transport, didClose event: TransportCloseEvent) { closes.append(event) }
    }

    struct Setup {
        let scheduler = VirtualScheduler()
        let link: FaultyLink
        let server: MemoryTransport
        let client: Recorder
        let serverSide: Recorder

        init(latency: Duration = .zero, jitter: Duration = .zero) {
            let (socket, server) = MemoryTransport.pair(scheduler: scheduler)
            self.server = server
            link = FaultyLink(socket: socket, scheduler: scheduler, latency: latency, jitter: jitter,
                              random: SeededRandom(seed: 7), history: MessageHistory())
            client = Recorder(scheduler)
            serverSide = Recorder(scheduler)
            link.delegate = client
            server.delegate = serverSide
        }
    }

    @Test func withoutFaultsMessagesGoStraightThrough() {
        let s = Setup()
        s.link.send("a")
        s.server.send("b")
        s.scheduler.run(until: .zero + .seconds(1))
        #expect(s.serverSide.received.map(\.text) == ["a"])
        #expect(s.client.received.map(\.text) == ["b"])
        #expect(s.link.sent == 1 && s.link.received == 1)
    }

    @Test func latencyDelaysEachWayAndJitterKeepsTheOrder() {
        let s = Setup(latency: .milliseconds(50), jitter: .milliseconds(40))
        for i in 0..<20 { s.link.send("up \(i)") }
        for i in 0..<20 { s.server.send("down \(i)") }
        s.scheduler.run(until: .zero + .seconds(1))
        #expect(s.serverSide.received.map(\.text) == (0..<20).map { "up \($0)" })
        #expect(s.client.received.map(\.text) == (0..<20).map { "down \($0)" })
        #expect(s.serverSide.received.allSatisfy { $0.at >= .zero + .milliseconds(50) })
        #expect(s.client.received.allSatisfy { $0.at >= .zero + .milliseconds(50) })
    }

    @Test func aClogHoldsBothWaysThenDeliversInOrder() {
        let s = Setup()
        s.link.clog(until: .zero + .seconds(5))
        s.link.send("held up")
        s.server.send("held down")
        s.scheduler.run(until: .zero + .seconds(4))
        #expect(s.serverSide.received.isEmpty && s.client.received.isEmpty)
        s.link.send("after")
        s.scheduler.run(until: .zero + .seconds(6))
        #expect(s.serverSide.received.map(\.text) == ["held up", "after"])
        #expect(s.client.received.map(\.text) == ["held down"])
        #expect(s.serverSide.received.allSatisfy { $0.at >= .zero + .seconds(5) })
    }

    @Test func aDropLosesTheConnectionWithoutACloseFrame() {
        let s = Setup()
        s.link.drop()
        s.scheduler.run(until: .zero + .seconds(1))
        #expect(s.client.closes.count == 1)
        #expect(s.client.closes.first?.code == nil && s.client.closes.first?.initiator == .network)
        #expect(s.serverSide.closes.first?.code == nil, "the server sees the connection lost, not a close frame")
        s.link.send("too late")
        s.scheduler.run(until: .zero + .seconds(2))
        #expect(s.serverSide.received.isEmpty)
    }

    @Test func aServerCloseIs4000ToTheClientAnd1001ToTheServer() {
        let s = Setup()
        s.link.serverClose()
        s.scheduler.run(until: .zero + .seconds(1))
        #expect(s.client.closes.map(\.code) == [4000])
        #expect(s.client.closes.first?.initiator == .remote)
        #expect(s.serverSide.closes.map(\.code) == [1001])
    }

    @Test func theServersCloseComesAfterWhatItSentBefore() {
        let s = Setup(latency: .milliseconds(30))
        s.server.send("last words")
        s.server.close(code: 4000, reason: "closed by protoo-server")
        s.scheduler.run(until: .zero + .seconds(1))
        #expect(s.client.received.map(\.text) == ["last words"])
        #expect(s.client.closes.map(\.code) == [4000])
    }

    @Test func theHistoryKeepsTheLastMessagesEscaped() {
        let s = Setup()
        for i in 0..<12 { s.link.send("m\(i)") }
        s.server.send("evil\u{1B}[31m")
        s.scheduler.run(until: .zero + .seconds(1))
        let lines = s.link.history.lines(since: .zero)
        #expect(lines.count == MessageHistory.capacity)
        #expect(lines.last?.contains("←") == true)
        #expect(lines.last?.contains("\u{1B}") == false, "client-supplied text is escaped: \(lines.last ?? "")")
        #expect(lines.first?.contains("m5") == true)
    }
}
