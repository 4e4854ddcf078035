import Foundation
import Testing
import Protoo
import ProtooSimulator

// MARK: The app: a mediasoup-like signaling server

/// Stands in for mediasoup: every call takes 1–5 ms on the engine's clock (virtual time in a
/// simulation), and a room's router answers its calls in order, like a mediasoup worker's channel.
/// The app makes one; every handler awaits it.
final class MediaRouter {
    let context: EngineContext
    private var busyUntil: [String: Instant] = [:]
    private var lastId = 0

    init(context: EngineContext) { self.context = context }

    /// Performs `call` on the router of `roomId`; returns the id of what it made.
    func perform(_ call: String, roomId: String) async throws -> String {
        let start = max(context.now, busyUntil[roomId] ?? context.now)
        let done = start + .microseconds(1_000 + Int64(context.random.next(upperBound: UInt64(4_000))))
        busyUntil[roomId] = done
        try await context.sleep(until: done)
        lastId += 1
        return "\(call)-\(lastId)"
    }

    func closeRouter(roomId: String) { busyUntil[roomId] = nil }
}

/// Rooms from `?roomId=`, peers from `?peerId=`. `join` answers the peers already joined and tells
/// them `newPeer`; `produce` makes a producer every other joined peer consumes (`newConsumer`, a
/// request to its client); a peer's close tells the room `peerClosed`; a room closes with its last peer.
final class SFUApp: ProtooApp, SimulationInspectable {
    let context: EngineContext
    let media: MediaRouter
    private(set) var rooms: [String: Room] = [:]

    init(context: EngineContext) {
        self.context = context
        media = MediaRouter(context: context)
    }

    /// The open rooms, in a stable order (the simulator's invariants walk them).
    var openRooms: [Room] { rooms.keys.sorted().compactMap { rooms[$0] } }

    func handleConnection(_ request: ConnectionRequest) {
        guard let roomId = request.queryValue("roomId"), let peerId = request.queryValue("peerId") else {
            return request.reject(status: 400, reason: "roomId and peerId required")
        }
        rooms[roomId]?.peer(peerId)?.close()                    // a reconnect replaces the old peer
        let room = rooms[roomId] ?? Room(context: context)
        rooms[roomId] = room
        guard let peer = try? room.createPeer(id: peerId, transport: request.accept()) else { return }
        peer.onRequest { [unowned self, unowned peer] request async throws -> Reply in
            try await self.handle(request, from: peer, in: room, roomId: roomId)
        }
        peer.onClose { [unowned self, unowned peer] _ in
            if peer.data["joined"] != nil {
                for other in self.joinedPeers(of: room) { other.notify("peerClosed", ["peerId": .string(peer.id)]) }
            }
            if room.peerCount == 0, self.rooms[roomId] === room {
                self.rooms[roomId] = nil
                self.media.closeRouter(roomId: roomId)
                room.close()
            }
        }
    }

    func shutdown() {
        for room in openRooms { room.close() }
    }

    private func joinedPeers(of room: Room, except peer: Peer? = nil) -> [Peer] {
        room.peers.filter { $0 !== peer && $0.data["joined"] != nil }
    }

    private func handle(_ request: IncomingRequest, from peer: Peer, in room: Room, roomId: String) async throws -> Reply {
        switch request.method {
        case "join":
            _ = try await media.perform("join", roomId: roomId)
            guard !peer.isClosed else { throw ProtooError.peerClosed }   // it left while mediasoup worked
            let others = joinedPeers(of: room, except: peer)
            peer.data["joined"] = true
            for other in others {
                other.notify("newPeer", ["peerId": .string(peer.id)])
                if let producer = other.data["producer"] as? String { consume(producer, of: other, by: peer, roomId: roomId) }
            }
            return .accept(["peers": .array(others.map { .string($0.id) })])
        case "createWebRtcTransport":
            return .accept(["id": .string(try await media.perform("createWebRtcTransport", roomId: roomId))])
        case "produce":
            guard peer.data["joined"] != nil else { throw ProtooError.reject(403, "not joined") }
            let producer = try await media.perform("produce", roomId: roomId)
            peer.data["producer"] = producer
            for other in joinedPeers(of: room, except: peer) { consume(producer, of: peer, by: other, roomId: roomId) }
            return .accept(["id": .string(producer)])
        case "getStats":
            _ = try await media.perform("getStats", roomId: roomId)
            return .accept(["packetsLost": 0])
        default:
            throw ProtooError.reject(404, "unknown method \(request.method)")
        }
    }

    /// Makes a consumer of `owner`'s producer for `consumer` and sends it `newConsumer`, in an
    /// engine task of its own (the request that caused it does not wait).
    private func consume(_ producer: String, of owner: Peer, by consumer: Peer, roomId: String) {
        let media = self.media, ownerId = owner.id
        context.spawn("consume") {
            do {
                let id = try await media.perform("consume", roomId: roomId)
                _ = try await consumer.request("newConsumer", ["id": .string(id), "producerId": .string(producer), "peerId": .string(ownerId)])
            } catch {
                // The consumer left, or never answered: nothing to undo here.
            }
        }
    }
}

// MARK: The clients: a browser's signaling, as a script

/// What one connection of a client knows. The script and the handlers share it through the
/// connection's peer (`peer.data`), so a reconnect starts afresh, like a reloaded page.
final class SFUClientState {
    var others: Set<String> = []
    var consumers = 0
}

extension ScenarioClient {
    /// This connection's state, made on first use.
    var sfu: SFUClientState {
        if let state = peer.data["sfu"] as? SFUClientState { return state }
        let state = SFUClientState()
        peer.data["sfu"] = state
        return state
    }
}

func sfuScenario() -> SimulationScenario {
    var scenario = SimulationScenario(name: "sfu", app: { SFUApp(context: $0) }) { client in
        // Runs on every open (first connect and each reconnect); the close cancels it.
        let joined = try await client.request("join", ["displayName": .string("guest \(client.peerId)")])
        client.sfu.others.formUnion(joined["peers"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        let transport = try await client.request("createWebRtcTransport")
        // Alone in the room: wait for the server's `newPeer` (at most 20 s) before sending media.
        if client.sfu.others.isEmpty {
            _ = try? await client.notification("newPeer", within: .seconds(20))   // none: produce anyway
        }
        _ = try await client.request("produce", ["transportId": transport["id"] ?? .null, "kind": "audio"])
        while true {
            try await client.sleep(for: .seconds(2) + .milliseconds(Int64(client.random.next() % 3_000)))
            _ = try await client.request("getStats")
        }
    }
    scenario.onServerNotification = { client, method, data in
        guard let peerId = data["peerId"]?.stringValue else { return }
        if method == "newPeer" { client.sfu.others.insert(peerId) }
        if method == "peerClosed" { client.sfu.others.remove(peerId) }
    }
    scenario.onServerRequest = { client, request in              // after a 2–31 ms think time
        guard request.method == "newConsumer" else { throw ProtooError.reject(404, "unknown method") }
        client.sfu.consumers += 1
        return .accept()
    }
    scenario.roomsCloseWhenEmpty = true                           // checked at the end of the run
    scenario.invariant("an open room has 1 to 9 peers") { (app: SFUApp) -> String? in
        app.openRooms.first { $0.peerCount == 0 || $0.peerCount > 9 }.map { "a room has \($0.peerCount) peers" }
    }
    return scenario
}

func sfuConfiguration(seed: UInt64) -> SimulationConfiguration {
    var configuration = SimulationConfiguration()
    configuration.seed = seed
    configuration.roomSizes = [9, 6, 3]                           // room-0 has 9 clients, room-1 6, room-2 3
    configuration.arrivalWindow = .seconds(20)
    configuration.duration = .seconds(120)                        // everyone leaves at 120 s …
    configuration.drainTime = .seconds(60)                        // … and closes and timeouts settle for 60 s
    configuration.latency = LatencyModel(base: .milliseconds(30), distribution: .uniform(spread: .milliseconds(20)))
    configuration.faults = .light
    configuration.faults.dropRate = 0.2                           // per client per virtual minute
    configuration.script = [ScriptedFault(at: .seconds(60), client: 0, .drop)]
    return configuration
}

func runSFU(seed: UInt64 = 1) throws -> SimulationReport {
    try Simulation(sfuConfiguration(seed: seed), scenario: sfuScenario()).run()   // throws SimulationFailure
}

// MARK: Tests of the example above (docs/simulator.md shows it verbatim)

@Suite struct MediasoupLikeGuideTests {
    @Test func itRunsAndIsDeterministic() throws {
        let report = try runSFU(seed: 1)
        #expect(report.scenario == "sfu")
        #expect(report.peers == 18)
        // join, createWebRtcTransport, produce and getStats from every client, again after each drop.
        #expect(report.clientRequests > 18 * 20)
        #expect(report.serverRequests > 18)                        // newConsumer
        #expect(report.messagesByKind["notification out"] ?? 0 > 18) // newPeer, peerClosed
        #expect(report.reconnects > 0)                             // the drops
        #expect(report.digest == (try runSFU(seed: 1)).digest)
        #expect(report.digest != (try runSFU(seed: 2)).digest)
    }

    /// Without faults, at 60 s: rooms of 9, 6 and 3; every client has heard of every other peer
    /// of its room (the first arrival waited for `newPeer`) and consumes each one's producer.
    @Test func roomsOfDifferentSizesAndEveryConsumer() throws {
        var configuration = sfuConfiguration(seed: 1)
        configuration.faults = .none
        configuration.script = []
        let simulation = Simulation(configuration, scenario: sfuScenario())
        try simulation.advance(to: Instant.zero + .seconds(60))
        let app = try #require(simulation.app as? SFUApp)
        #expect(app.rooms.mapValues(\.peerCount) == ["room-0": 9, "room-1": 6, "room-2": 3])
        for client in simulation.clients {
            let n = Int(client.roomId.dropFirst("room-".count)) ?? 0
            let size = [9, 6, 3][n]
            let state = try #require(client.peer?.data["sfu"] as? SFUClientState)
            #expect(state.others.count == size - 1, "\(client.peerId) in \(client.roomId)")
            #expect(state.consumers == size - 1, "\(client.peerId) in \(client.roomId)")
        }
        let report = try simulation.run()
        // No request times out; one may fail per client: a `getStats` in flight when it leaves.
        #expect(report.clientRequestTimeouts == 0 && report.clientRequestErrors <= configuration.totalPeers)
        #expect(report.serverRequestsUnanswered == 0)
        #expect(app.rooms.isEmpty)
    }

    /// A peer alone in its room has joined but does not produce: its client waits for `newPeer`.
    @Test func aLonePeerWaitsForNewPeer() throws {
        var configuration = sfuConfiguration(seed: 1)
        configuration.faults = .none
        configuration.script = []
        let simulation = Simulation(configuration, scenario: sfuScenario())
        let app = try #require(simulation.app as? SFUApp)
        var time = Instant.zero, alone = 0
        while time < Instant.zero + configuration.arrivalWindow {
            time = time + .milliseconds(100)
            try simulation.advance(to: time)
            for room in app.openRooms where room.peerCount == 1 && room.peers[0].data["joined"] != nil {
                alone += 1
                #expect(room.peers[0].data["producer"] == nil, "\(room.peers[0].id) produced alone at \(time)")
            }
        }
        #expect(alone > 10)
        _ = try simulation.run()
    }

    @Test func aBrokenInvariantStopsTheRun() throws {
        var scenario = sfuScenario()
        scenario.invariant("rooms of at most 6") { (app: SFUApp) -> String? in
            app.openRooms.contains { $0.peerCount > 6 } ? "a room of more than 6" : nil
        }
        #expect(scenario.name == brokenSFUScenario().name)
        #expect {
            try Simulation(sfuConfiguration(seed: 1), scenario: scenario).run()
        } throws: { error in
            guard let failure = error as? SimulationFailure else { return false }
            return failure.invariant == "invariant 'rooms of at most 6': a room of more than 6" && failure.seed == 1
                && failure.reproduce.contains("--scenario sfu")
        }
    }

    @Test func faultsByHandBetweenSteps() throws {
        let simulation = Simulation(sfuConfiguration(seed: 3), scenario: sfuScenario())
        try simulation.advance(to: Instant.zero + .seconds(30))         // the first 30 virtual seconds
        let app = simulation.app as! SFUApp                              // look inside between steps
        let sizes = app.rooms.mapValues(\.peerCount)
        let alice = simulation.clients[0].peerId, bob = simulation.clients[1].peerId
        simulation.drop(peer: alice)                                     // no close frame: reconnects, re-joins
        simulation.partition([bob], for: .seconds(10))                   // links held, then delivered in order
        try simulation.advance(to: Instant.zero + .seconds(45))
        simulation.serverClose(peer: bob)                                // close code 4000: bob does not come back
        let report = try simulation.run()                                // to the end, final invariants included
        #expect(sizes.values.reduce(0, +) >= 16)
        #expect(simulation.client(peer: alice)!.reconnects >= 1)
        #expect(report.reconnects >= 1)
    }

    @Test func shardsAndSwarms() throws {
        var sharded = sfuConfiguration(seed: 1)
        sharded.roomSizes = [9, 6, 3, 9, 6, 3]                       // 2 shards: rooms of 9, 6 and 3 on each
        sharded.shards = 2
        let report = try ShardedSimulation(sharded, scenario: sfuScenario(), jobs: 2).run()

        let outcomes = Swarm.run(seeds: 1...8, jobs: 2, scenario: sfuScenario()) { seed in
            var configuration = sfuConfiguration(seed: seed)
            configuration.faults = .heavy
            return (configuration, reproduce: "swift run mytool simulate --scenario sfu --faults heavy --seed \(seed)")
        }
        let failing = outcomes.filter { $0.failure != nil }.map(\.seed)
        #expect(report.peers == 36 && report.shards == 2)
        #expect(outcomes.count == 8)
        #expect(failing.isEmpty, "\(outcomes.compactMap(\.failure))")
        #expect(Set(outcomes.compactMap(\.digest)).count == 8)
    }

    /// The repro file `simulate --minimize` wrote for the broken invariant above (rooms of at
    /// most 6): a room of 7, kept as a regression test.
    @Test func theMinimalRunStaysFixed() throws {
        let repro = try SimulationRepro(contentsOf: packageRoot.appendingPathComponent("Tests/Repros/sfu-room-of-7.json"))
        _ = try Simulation(repro: repro, scenario: sfuScenario()).run()   // threw SimulationFailure before the fix
    }

    @Test func theReproStillBreaksTheBrokenInvariant() throws {
        let repro = try SimulationRepro(contentsOf: packageRoot.appendingPathComponent("Tests/Repros/sfu-room-of-7.json"))
        #expect(repro.invariant == "rooms of at most 6")
        #expect(repro.configuration.clientKeys.count == 7 && repro.configuration.populatedRooms == 1)
        #expect { try Simulation(repro: repro, scenario: brokenSFUScenario()).run() } throws: { error in
            (error as? SimulationFailure)?.name == "rooms of at most 6"
        }
    }

    /// Every Swift block of docs/simulator.md is in this file, line for line and in order
    /// (indentation aside); the complete example is in it verbatim.
    @Test func theGuideShowsThisFile() throws {
        let guide = try String(contentsOf: packageRoot.appendingPathComponent("docs/simulator.md"), encoding: .utf8)
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        var blocks: [[String]] = [], current: [String]?
        for line in guide.components(separatedBy: "\n") {
            if line.hasPrefix("```") {
                if let block = current { blocks.append(block) }
                current = current == nil && line == "```swift" ? [] : nil
            } else {
                current?.append(line)
            }
        }
        #expect(blocks.count >= 3)
        let example = try #require(blocks.first { $0.contains("final class SFUApp: ProtooApp, SimulationInspectable {") })
        let verbatim = source.contains(example.joined(separator: "\n"))
        #expect(verbatim, "the complete example of docs/simulator.md differs from \(#fileID)")
        let trimmed = source.components(separatedBy: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "\n")
        for block in blocks {
            let found = trimmed.contains(block.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "\n"))
            #expect(found, "a block of docs/simulator.md is not in \(#fileID): \(block.prefix(3))")
        }
    }
}

/// The example's scenario with an invariant its rooms of 9 break (the repro file's bug).
func brokenSFUScenario() -> SimulationScenario {
    var scenario = sfuScenario()
    scenario.invariant("rooms of at most 6") { (app: SFUApp) -> String? in
        app.openRooms.contains { $0.peerCount > 6 } ? "a room of more than 6" : nil
    }
    return scenario
}

/// Writes Tests/Repros/sfu-room-of-7.json (run with PROTOO_WRITE_REPROS=1 to remake it).
@Test(.enabled(if: ProcessInfo.processInfo.environment["PROTOO_WRITE_REPROS"] != nil))
func writeTheSFURepro() throws {
    let result = try #require(SimulationMinimizer(scenario: brokenSFUScenario()).minimize(sfuConfiguration(seed: 1)))
    try result.repro.write(to: packageRoot.appendingPathComponent("Tests/Repros/sfu-room-of-7.json"), overwrite: true)
}
