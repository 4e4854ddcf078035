import Testing
import Protoo
@testable import ProtooSimulator

/// The simulated network's fault semantics at the level of one link.
@Suite struct NetworkLinkTests {
    /// A server app that keeps the one peer it accepts.
    final class OnePeerApp: ProtooApp {
        let room: Room
        var peer: Peer?
        init(context: EngineContext) { room = Room(context: context) }
        func handleConnection(_ request: ConnectionRequest) {
            peer = try? room.createPeer(id: "A", transport: request.accept())
        }
    }

    /// A drop stops all traffic at once, but each side learns of it only one trip later. Until
    /// then the server still sends (its tap records it; nothing arrives) and may close the peer
    /// itself, which is recorded as its own close with its own code, as on a real server.
    @Test func droppedLinkKeepsEachSideUnawareForOneTrip() throws {
        let scheduler = VirtualScheduler()
        let app = OnePeerApp(context: EngineContext(scheduler: scheduler, random: SeededRandom(seed: 1)))
        let log = FullLog()
        let network = SimulatedNetwork(scheduler: scheduler, seed: 3, latency: LatencyModel(base: .milliseconds(10)),
                                       app: app, tap: log)
        let link = network.connect(target: "/?peerId=A", remoteAddress: "10.0.0.1:1")
        var received: [String] = []
        var clientClose: TransportCloseEvent?
        let clientContext = EngineContext(scheduler: scheduler, random: SeededRandom(seed: 2))
        var client: Peer?
        link.onOpen = {
            let peer = Peer(id: "A", transport: link.clientEnd, context: clientContext, configuration: .client)
            peer.onNotification { method, _ in received.append(method) }
            peer.onClose { cause in if case .transport(let e) = cause { clientClose = e } }
            client = peer
        }
        scheduler.advance(by: .milliseconds(100))
        let server = try #require(app.peer)
        server.notify("before")
        scheduler.advance(by: .milliseconds(100))
        #expect(received == ["before"])

        link.drop()
        #expect(!link.serverEnd.isClosed && !link.clientEnd.isClosed, "nobody knows yet")
        server.notify("into the void")
        client?.notify("also lost")
        scheduler.advance(by: .milliseconds(5))
        #expect(!server.isClosed)
        server.close()
        scheduler.advance(by: .seconds(1))

        #expect(received == ["before"], "nothing sent after the drop arrives")
        #expect(log.entries.contains { $0.direction == "out" && $0.text.contains("into the void") }, "the server's tap saw the send")
        #expect(!log.entries.contains { $0.direction == "in" && $0.text.contains("also lost") })
        let closes = log.entries.filter { $0.direction == "closed" }
        #expect(closes.map(\.text) == ["4000 local"], "the server's own close, once")
        #expect(clientClose?.initiator == .network && clientClose?.code == nil, "the client learns after one trip: connection lost")
        #expect(link.clientEnd.isClosed && link.serverEnd.isClosed)
    }
}
