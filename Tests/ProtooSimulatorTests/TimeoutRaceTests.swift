import Testing
import Protoo
import ProtooApps
@testable import ProtooSimulator
@testable import ProtooScenarios

/// The catalogue of timeout races (README: "Timeout races"). Each case is deterministic.
@Suite struct TimeoutRaceTests {
    /// Server app: every connection becomes a peer that is sent one `ping` request.
    final class PingApp: ProtooApp {
        let room: Room
        var outcomes: [Result<JSONValue, ProtooError>] = []
        init(context: EngineContext) { room = Room(context: context) }
        func handleConnection(_ request: ConnectionRequest) {
            guard let peer = try? room.createPeer(id: request.queryValue("peerId") ?? "", transport: request.accept()) else { return }
            peer.request("ping") { self.outcomes.append($0) }
        }
    }

    /// One server and one client on a zero-latency network.
    final class Race {
        let scheduler: VirtualScheduler
        let app: PingApp
        let network: SimulatedNetwork
        let clientContext: EngineContext
        var client: Peer?

        init(shuffleSeed: UInt64? = nil, onRequest: @escaping (IncomingRequest, Peer, VirtualScheduler) -> Reply) {
            scheduler = VirtualScheduler(shuffleSeed: shuffleSeed)
            let serverContext = EngineContext(scheduler: scheduler, random: SeededRandom(seed: 1))
            clientContext = EngineContext(scheduler: scheduler, random: SeededRandom(seed: 2))
            app = PingApp(context: serverContext)
            network = SimulatedNetwork(scheduler: scheduler, seed: 3, latency: .zero, app: app, tap: EventLog())
            let link = network.connect(target: "/?peerId=A", remoteAddress: "10.0.0.1:1")
            link.onOpen = { [unowned self] in
                let peer = Peer(id: "A", transport: link.clientEnd, context: self.clientContext, configuration: .client)
                peer.onRequest { [unowned self, unowned peer] in onRequest($0, peer, self.scheduler) }
                self.client = peer
            }
        }

        func run() { scheduler.run(until: Instant.zero + .seconds(120)) }
    }

    static func answeredAt(_ offset: Duration, shuffleSeed: UInt64? = nil) -> [Result<JSONValue, ProtooError>] {
        let race = Race(shuffleSeed: shuffleSeed) { request, _, scheduler in
            // The request reached the client at t0 (zero latency): answer at t0 + 30 s + offset.
            scheduler.schedule(after: .seconds(30) + offset) { request.accept(["pong": true]) }
            return .deferred
        }
        race.run()
        return race.app.outcomes
    }

    @Test func responseOneNanosecondBeforeDeadlineWins() throws {
        let outcomes = Self.answeredAt(.nanoseconds(-1))
        #expect(outcomes.count == 1)
        #expect(try outcomes[0].get() == ["pong": true])
    }

    /// Timer and response fall due at the same instant: the timer was scheduled first, so it runs
    /// first and the response is ignored as late.
    @Test func responseExactlyAtDeadlineLoses() {
        let outcomes = Self.answeredAt(.zero)
        #expect(outcomes.count == 1)
        #expect(throws: ProtooError.requestTimeout) { try outcomes[0].get() }
    }

    @Test func responseOneNanosecondAfterDeadlineLoses() {
        let outcomes = Self.answeredAt(.nanoseconds(1))
        #expect(outcomes.count == 1)
        #expect(throws: ProtooError.requestTimeout) { try outcomes[0].get() }
    }

    /// With same-instant shuffling, the exact-deadline tie goes either way depending on the seed,
    /// and always exactly one outcome is delivered.
    @Test func exactDeadlineTieUnderShuffleGoesBothWays() {
        var wins = 0, losses = 0
        for seed in UInt64(1)...40 {
            let outcomes = Self.answeredAt(.zero, shuffleSeed: seed)
            #expect(outcomes.count == 1)
            if case .success = outcomes.first { wins += 1 } else { losses += 1 }
        }
        #expect(wins > 0)
        #expect(losses > 0)
    }

    /// The client answers and closes in the same instant. Answer first: the response travels ahead
    /// of the close frame (FIFO) and resolves. Close first: nothing more is sent; "peer closed".
    @Test(arguments: [true, false])
    func peerCloseRacingPendingRequest(answerFirst: Bool) throws {
        let race = Race { request, peer, scheduler in
            scheduler.schedule(after: .seconds(1)) {
                if answerFirst { request.accept(["pong": true]) }
                peer.close(.code(CloseCode.normal, reason: "bye"))
                if !answerFirst { request.accept(["pong": true]) }
            }
            return .deferred
        }
        race.run()
        #expect(race.app.outcomes.count == 1)
        if answerFirst {
            #expect(try race.app.outcomes[0].get() == ["pong": true])
        } else {
            #expect(throws: ProtooError.peerClosed) { try race.app.outcomes[0].get() }
        }
        #expect(race.app.room.peers.isEmpty)
    }
}

/// Records every event with its connection, for finding the instant to inject a fault at.
final class FullLog: TrafficTap {
    struct Entry { var time: Instant; var connection: ConnectionID; var direction: String; var text: String }
    var entries: [Entry] = []
    func connectionRequested(_ c: ConnectionID, at t: Instant, target: String, headers: [(name: String, value: String)], remoteAddress: String) {
        entries.append(Entry(time: t, connection: c, direction: "connect", text: target))
    }
    func connectionAccepted(_ c: ConnectionID, at t: Instant) { entries.append(Entry(time: t, connection: c, direction: "accepted", text: "")) }
    func connectionRejected(_ c: ConnectionID, at t: Instant, status: Int, reason: String) {}
    func messageReceived(_ c: ConnectionID, at t: Instant, text: String) { entries.append(Entry(time: t, connection: c, direction: "in", text: text)) }
    func messageSent(_ c: ConnectionID, at t: Instant, text: String) { entries.append(Entry(time: t, connection: c, direction: "out", text: text)) }
    func connectionClosed(_ c: ConnectionID, at t: Instant, event: TransportCloseEvent) {
        entries.append(Entry(time: t, connection: c, direction: "closed", text: "\(event.code.map(String.init) ?? "-") \(event.initiator)"))
    }

    func connection(of peerId: String) -> [ConnectionID] {
        entries.filter { $0.direction == "connect" && $0.text.hasSuffix("peerId=\(peerId)") }.map(\.connection)
    }
}

@Suite struct ConferenceRaceTests {
    static func twoPeerRoom(script: [ScriptedFault] = []) -> SimulationConfiguration {
        var c = SimulationConfiguration()
        c.rooms = 1
        c.peersPerRoom = 2
        c.duration = .seconds(20)
        c.arrivalWindow = .seconds(2)
        c.drainTime = .seconds(60)
        c.latency = LatencyModel(base: .milliseconds(10))
        c.seed = 11
        c.script = script
        return c
    }

    /// A client's connection drops while the server has a `newConsumer` pending on it. The request
    /// fails with "peer closed" as soon as the server sees the drop (no 30 s wait); the client
    /// reconnects with the same peerId, re-joins, and gets fresh `newConsumer` requests for the
    /// same producers. All invariants hold.
    @Test func clientReconnectRacingNewConsumer() throws {
        let probe = FullLog()
        let sim = Simulation(Self.twoPeerRoom(), tap: probe)
        _ = try sim.run()
        let victim = sim.clients[0]
        let firstConnection = try #require(probe.connection(of: victim.peerId).first)
        let firstNewConsumer = try #require(probe.entries.first {
            $0.connection == firstConnection && $0.direction == "out" && $0.text.contains(#""method":"newConsumer""#)
        })
        let producerId = try #require(try Message.decode(firstNewConsumer.text).requestData?["producerId"]?.stringValue)

        let log = FullLog()
        let dropAt = Duration.nanoseconds(firstNewConsumer.time.nanoseconds)
        let raced = Simulation(Self.twoPeerRoom(script: [ScriptedFault(at: dropAt, client: 0, .drop)]), tap: log)
        let report = try raced.run()
        #expect(report.reconnects == 1)
        let connections = log.connection(of: victim.peerId)
        #expect(connections.count == 2)
        // Nothing answered the request on the dropped connection.
        #expect(!log.entries.contains { $0.connection == connections[0] && $0.direction == "in" && $0.text.hasPrefix(#"{"response""#) && $0.time > firstNewConsumer.time })
        // The new connection consumes the same producer again.
        #expect(log.entries.contains { $0.connection == connections[1] && $0.direction == "out" && $0.text.contains(producerId) && $0.text.contains("newConsumer") })
    }

    /// The room closes (server shutdown) while a client's `join` is in flight. The join is never
    /// answered: the client's pending request fails with "peer closed" on the 4000 close, and the
    /// client does not reconnect. The room is gone; every invariant holds.
    @Test func roomCloseDuringJoin() throws {
        let probe = FullLog()
        let sim = Simulation(Self.twoPeerRoom(), tap: probe)
        _ = try sim.run()
        let join = try #require(probe.entries.first { $0.direction == "in" && $0.text.contains(#""method":"join""#) })
        // Sent 10 ms earlier by the client: close the rooms while it is on the wire.
        let closeAt = Duration.nanoseconds(join.time.nanoseconds - 5_000_000)
        let log = FullLog()
        let raced = Simulation(Self.twoPeerRoom(script: [ScriptedFault(at: closeAt, .shutdownApp)]), tap: log)
        let report = try raced.run()
        #expect(!log.entries.contains { $0.direction == "out" && $0.connection == join.connection && $0.text.contains(#""peers""#) })
        #expect(log.entries.contains { $0.direction == "closed" && $0.connection == join.connection && $0.text.hasPrefix("4000") })
        #expect(report.reconnects == 0)
        #expect(report.clientRequestErrors >= 1)
        #expect((raced.app as! ConferenceApp).roomIDs.isEmpty)
    }
}

extension ConferenceRaceTests {
    /// A client leaves while its reconnect attempt is on the wire: the server has accepted the new
    /// connection, and the client learns it only after leaving. The client closes that connection
    /// (1000 "client left") as soon as it opens, makes no peer, and finishes; the run ends with every
    /// invariant holding. (Found by the swarm: seeds 56 and 186 once ended "1 clients never finished".)
    @Test func leaveRacingReconnect() throws {
        let dropAt = Duration.seconds(8)
        let probe = FullLog()
        let dropped = Simulation(Self.twoPeerRoom(script: [ScriptedFault(at: dropAt, client: 0, .drop)]), tap: probe)
        _ = try dropped.run()
        let victim = dropped.clients[0].peerId
        let connections = probe.connection(of: victim)
        try #require(connections.count == 2)
        let accepted = try #require(probe.entries.first { $0.connection == connections[1] && $0.direction == "accepted" })

        // Leave 1 ms after the server accepted the second connection: its `open` is still on the
        // wire (10 ms each way).
        let leaveAt = Duration.nanoseconds(accepted.time.nanoseconds) + .milliseconds(1)
        let log = FullLog()
        let raced = Simulation(Self.twoPeerRoom(script: [ScriptedFault(at: dropAt, client: 0, .drop),
                                                         ScriptedFault(at: leaveAt, client: 0, .leave)]), tap: log)
        let report = try raced.run()  // throws if the client never finishes
        #expect(report.reconnects == 1)
        #expect(raced.clients[0].state == .closed)
        #expect(log.entries.contains { $0.connection == connections[1] && $0.direction == "closed" && $0.text.hasPrefix("1000") })
        // The client never spoke on the second connection.
        #expect(!log.entries.contains { $0.connection == connections[1] && $0.direction == "in" })
    }
}

extension ConferenceRaceTests {
    /// Client 0's peer id and its first connection request as the server saw it, in a run without faults.
    static func firstConnection() throws -> (peerId: String, FullLog.Entry) {
        let probe = FullLog()
        let plain = Simulation(twoPeerRoom(), tap: probe)
        _ = try plain.run()
        let victim = plain.clients[0].peerId
        return (victim, try #require(probe.entries.first { $0.direction == "connect" && $0.text.hasSuffix("peerId=\(victim)") }))
    }

    /// A client's connection is dropped while its upgrade request is on the wire: the request is
    /// lost with the link (the server never sees it), the client learns one trip later that the
    /// attempt failed, retries after 1 s like protoo-client, and joins on the second connection.
    @Test func dropWhileConnecting() throws {
        let (victim, first) = try Self.firstConnection()

        // The request reaches the server 10 ms after the client sent it: drop the link halfway.
        let dropAt = Duration.nanoseconds(first.time.nanoseconds) - .milliseconds(5)
        let log = FullLog()
        let raced = Simulation(Self.twoPeerRoom(script: [ScriptedFault(at: dropAt, client: 0, .drop)]), tap: log)
        let report = try raced.run()
        let connections = log.entries.filter { $0.direction == "connect" && $0.text.hasSuffix("peerId=\(victim)") }
        #expect(connections.count == 1, "the dropped attempt never reached the server")
        #expect(raced.clients[0].failures == 1)
        #expect(report.reconnects == 0)
        let retried = try #require(connections.first)
        #expect(retried.time.nanoseconds - first.time.nanoseconds >= 1_000_000_000, "retried after the 1 s back-off")
        #expect(log.entries.contains { $0.connection == retried.connection && $0.direction == "in" && $0.text.contains(#""method":"join""#) })
    }

    /// The same, once the server has accepted: its answer to the upgrade is lost with the link. The
    /// server learns of the drop a trip later ("connection lost"); the client never saw the
    /// connection open, so for it the attempt failed: it retries after 1 s and joins.
    @Test func dropWhileTheUpgradeAnswerIsOnTheWire() throws {
        let (victim, first) = try Self.firstConnection()

        let dropAt = Duration.nanoseconds(first.time.nanoseconds) + .milliseconds(5)
        let log = FullLog()
        let raced = Simulation(Self.twoPeerRoom(script: [ScriptedFault(at: dropAt, client: 0, .drop)]), tap: log)
        let report = try raced.run()
        let connections = log.entries.filter { $0.direction == "connect" && $0.text.hasSuffix("peerId=\(victim)") }.map(\.connection)
        #expect(connections.count == 2)
        #expect(raced.clients[0].failures == 1)
        #expect(raced.clients[0].opens == 1, "only the second connection ever opened for the client")
        #expect(report.reconnects == 0)
        #expect(log.entries.contains { $0.connection == connections[0] && $0.direction == "accepted" })
        #expect(log.entries.contains { $0.connection == connections[0] && $0.direction == "closed" && $0.text == "- network" })
        #expect(!log.entries.contains { $0.connection == connections[0] && $0.direction == "in" })
        #expect(log.entries.contains { $0.connection == connections[1] && $0.direction == "in" && $0.text.contains(#""method":"join""#) })
    }
}

extension Message {
    var requestData: JSONValue? {
        if case .request(_, _, let data) = self { return data }
        return nil
    }
}
