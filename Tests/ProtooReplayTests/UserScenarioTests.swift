import Foundation
import Protoo
import ProtooApps
import ProtooReplay
import ProtooScenarios
import ProtooSimulator
import ProtooTrace
import Testing

// The README's "simulate your own app" code, as a user writes it (the contract), built
// inside functions here (`theReadmeRunAsWritten` runs it as written); `Tests/Fixtures/ChatTool`
// builds the same as a separate package.

final class ChatApp: ProtooApp {
    let context: EngineContext
    var rooms: [String: Room] = [:]
    init(context: EngineContext) { self.context = context }

    func handleConnection(_ request: ConnectionRequest) {
        guard let roomId = request.queryValue("roomId"), let peerId = request.queryValue("peerId") else {
            return request.reject(status: 400, reason: "roomId and peerId required")
        }
        let room = rooms[roomId] ?? Room(context: context)
        rooms[roomId] = room
        guard let peer = try? room.createPeer(id: peerId, transport: request.accept()) else { return }
        peer.onRequest { [context, unowned peer] request async throws -> Reply in
            guard request.method == "join" else { throw ProtooError.reject(404, "unknown method") }
            try await context.sleep(for: .milliseconds(50))      // an awaited service: virtual time in simulation
            return .accept(["peers": .array(room.peers.filter { $0 !== peer }.map { .string($0.id) })])
        }
        peer.onNotification { [unowned peer] method, data in
            for other in room.peers where other !== peer { other.notify(method, data) }
        }
    }
}

/// The same app after a regression: it renames a field it sends.
final class RenamingChatApp: ProtooApp {
    let inner: ChatApp
    init(context: EngineContext) { inner = ChatApp(context: context) }
    func handleConnection(_ request: ConnectionRequest) {
        inner.handleConnection(request)
        guard let roomId = request.queryValue("roomId"), let peerId = request.queryValue("peerId"),
              let room = inner.rooms[roomId], let peer = room.peer(peerId) else { return }
        peer.onRequest { [context = inner.context, unowned peer] request async throws -> Reply in
            try await context.sleep(for: .milliseconds(50))
            return .accept(["members": .array(room.peers.filter { $0 !== peer }.map { .string($0.id) })])
        }
    }
}

/// The contract's scenario (with `invariant`'s check given by the caller).
func chatScenario(invariant check: @escaping @Sendable (ChatApp) -> String? = { _ in nil }) -> SimulationScenario {
    var chat = SimulationScenario(name: "chat", app: { ChatApp(context: $0) }) { client in
        // runs on every open (first connect and each reconnect); a close cancels it
        _ = try await client.request("join", [:])
        for _ in 0..<20 {
            try await client.sleep(for: .milliseconds(500 + Int64(client.random.next() % 2_500)))
            client.notify("chat", ["text": "hello"])
        }
        client.leave()
    }
    chat.invariant("no room is empty while its peers are connected") { (app: ChatApp) -> String? in check(app) }
    return chat
}

func chatConfiguration(seed: UInt64 = 7) -> SimulationConfiguration {
    var configuration = SimulationConfiguration()
    configuration.rooms = 20
    configuration.peersPerRoom = 10
    configuration.duration = .seconds(120)
    configuration.faults = .heavy
    configuration.seed = seed
    return configuration
}

@Suite struct UserScenarioTests {
    /// The README's run, its configuration built inline as written there.
    @Test func theReadmeRunAsWritten() throws {
        let chat = chatScenario()
        var configuration = SimulationConfiguration()          // 10 rooms × 6 peers, seed 1, no faults
        configuration.rooms = 20
        configuration.duration = .seconds(120)
        configuration.faults = .heavy
        let report = try Simulation(configuration, scenario: chat).run()  // throws SimulationFailure (seed, reproduce)
        #expect(report.peers == 120 && report.seed == 1 && report.scenario == "chat")
        #expect(report.clientRequests >= 120 && report.reconnects > 0)
        #expect(report.digest == (try Simulation(configuration, scenario: chat).run().digest))
    }

    @Test func theContractRunsAndIsDeterministic() throws {
        let chat = chatScenario()
        let report = try Simulation(chatConfiguration(), scenario: chat).run()  // throws SimulationFailure (seed, reproduce)
        #expect(report.digest == (try Simulation(chatConfiguration(), scenario: chat).run().digest))
        #expect(report.digest != (try Simulation(chatConfiguration(seed: 8), scenario: chat).run().digest))
        #expect(report.scenario == "chat")
        #expect(report.peers == 200)
        // Joins answered, chat notifications fanned out to the room, faults injected.
        #expect(report.clientRequests >= 200)
        #expect(report.messagesByKind["notification out"] ?? 0 > 10_000)
        #expect(report.reconnects > 0)
    }

    @Test func aBrokenInvariantStopsTheRunWithAReproduceLine() throws {
        let chat = chatScenario { app in app.rooms.count > 3 ? "\(app.rooms.count) rooms" : nil }
        var configuration = chatConfiguration()
        configuration.faults = .none
        #expect {
            try Simulation(configuration, scenario: chat).run()
        } throws: { error in
            guard let failure = error as? SimulationFailure else { return false }
            return failure.invariant.contains("invariant 'no room is empty while its peers are connected'")
                && failure.invariant.hasSuffix(" rooms") && failure.seed == 7
                && failure.reproduce.contains("--scenario chat") && failure.reproduce.contains("--seed 7")
                && !failure.lastEvents.isEmpty
        }
    }

    @Test func anUnstructuredTaskInAHandlerStopsTheRun() throws {
        let leaky = SimulationScenario(name: "leaky", app: { LeakyApp(context: $0) }) { client in
            _ = try await client.request("join")
        }
        var configuration = SimulationConfiguration()
        configuration.rooms = 1
        configuration.peersPerRoom = 2
        configuration.duration = .seconds(60)
        #expect {
            try Simulation(configuration, scenario: leaky).run()
        } throws: { error in
            guard let failure = error as? SimulationFailure else { return false }
            return failure.invariant.contains("nondeterminism in request 'join' of peer")
                && failure.invariant.contains("unstructured Task")
        }
    }

    @Test func itsTraceReplaysCleanAndCatchesARenamedField() throws {
        var configuration = chatConfiguration()
        configuration.rooms = 3
        configuration.duration = .seconds(60)
        let path = temporaryPath("chat.ptrace.zst")
        let header = TraceHeader(createdAtUnixNanoseconds: 0, producerName: ReplaySeed.simulatorProducerName,
                                 producerVersion: "test", host: "test", scenario: "chat", seed: configuration.seed)
        var rc = TraceRecorderConfiguration(path: path, header: header)
        rc.overflowPolicy = .block
        let recorder = try TraceRecorder(configuration: rc)
        _ = try Simulation(configuration, scenario: chatScenario(), tap: recorder).run()
        try recorder.close()

        let clean = try Replayer(path: path, app: { ChatApp(context: $0) }).run()
        #expect(clean.passed, "\(clean.description)")
        #expect(clean.events > 1000)
        let renamed = try Replayer(path: path, app: { RenamingChatApp(context: $0) }).run()
        #expect(!renamed.passed)
        #expect(renamed.description.contains("peers"))
    }
}

/// An app whose handler starts an unstructured task: the simulator must say so.
final class LeakyApp: ProtooApp {
    let room: Room
    init(context: EngineContext) { room = Room(context: context) }
    func handleConnection(_ request: ConnectionRequest) {
        guard let peer = try? room.createPeer(id: request.queryValue("peerId") ?? "?", transport: request.accept()) else { return }
        peer.onRequest { request async throws -> Reply in
            Task { _ = 1 }
            return .accept()
        }
    }
}

/// An app that decides on each connection 30 ms later (an awaited auth check), as
/// `request.deferDecision()` allows; peer ids starting with `bad` are refused with 401.
final class DeferringApp: ProtooApp {
    let context: EngineContext
    let room: Room
    init(context: EngineContext) {
        self.context = context
        room = Room(context: context)
    }
    func handleConnection(_ request: ConnectionRequest) {
        request.deferDecision()
        context.spawn("auth") { [context, room] in
            try? await context.sleep(for: .milliseconds(30))
            let id = request.queryValue("peerId") ?? "?"
            guard !id.hasPrefix("bad") else { return request.reject(status: 401, reason: "who are you") }
            guard let peer = try? room.createPeer(id: id, transport: request.accept()) else { return }
            peer.onRequest { _ in .accept(["ok": true]) }
        }
    }
}

@Suite struct DeferredDecisionSimulationTests {
    @Test func aDeferredDecisionIsSimulatedAndReplayed() throws {
        let scenario = SimulationScenario(name: "deferring", app: { DeferringApp(context: $0) }) { client in
            _ = try await client.request("hello")
        }
        var configuration = SimulationConfiguration()
        configuration.rooms = 2
        configuration.peersPerRoom = 3
        configuration.duration = .seconds(20)
        configuration.arrivalWindow = .seconds(10)
        let path = temporaryPath("deferring.ptrace.zst")
        let header = TraceHeader(createdAtUnixNanoseconds: 0, producerName: ReplaySeed.simulatorProducerName,
                                 producerVersion: "test", host: "test", scenario: "deferring", seed: configuration.seed)
        var rc = TraceRecorderConfiguration(path: path, header: header)
        rc.overflowPolicy = .block
        let recorder = try TraceRecorder(configuration: rc)
        let report = try Simulation(configuration, scenario: scenario, tap: recorder).run()
        try recorder.close()
        #expect(report.clientRequests >= 6)
        #expect(report.clientRequestErrors == 0)
        let replay = try Replayer(path: path, app: { DeferringApp(context: $0) }).run()
        #expect(replay.passed, "\(replay)")
        #expect(replay.outputsCompared >= 12)
        // An app that decides at once instead answers the same, earlier: still no divergence in
        // content, and the accepts are compared.
        let accepting = try Replayer(path: path, app: { ConformanceApp(context: $0) }).run()
        #expect(!accepting.passed)   // it answers `hello` with 404, not {"ok": true}
    }
}
