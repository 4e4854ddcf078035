import Foundation
import Protoo
import ProtooReplay
import ProtooScenarios
import ProtooSimulator
import ProtooTrace
import Testing

/// Replay's defaults hide no regression of a value the client sent, and a message that merely
/// moved is reported as moved.
final class AnnouncingApp: ProtooApp {
    let context: EngineContext
    let delay: Duration
    let capitalize: Bool
    var rooms: [String: Room] = [:]

    init(context: EngineContext, delay: Duration = .milliseconds(50), capitalize: Bool = false) {
        self.context = context
        self.delay = delay
        self.capitalize = capitalize
    }

    func handleConnection(_ request: ConnectionRequest) {
        guard let roomId = request.queryValue("roomId"), let peerId = request.queryValue("peerId") else {
            return request.reject(status: 400, reason: "roomId and peerId required")
        }
        let room = rooms[roomId] ?? Room(context: context)
        rooms[roomId] = room
        guard let peer = try? room.createPeer(id: peerId, transport: request.accept()) else { return }
        let announced = capitalize ? peerId.capitalized : peerId
        peer.onRequest { [context, delay, unowned peer] request async throws -> Reply in
            try await context.sleep(for: delay)                     // an awaited media server
            for other in room.peers where other !== peer { other.notify("peerJoined", ["id": .string(announced)]) }
            return .accept(["peers": .array(room.peers.filter { $0 !== peer }.map { .string($0.id) })])
        }
        peer.onNotification { [unowned peer] method, _ in
            for other in room.peers where other !== peer { other.notify(method, ["from": .string(peer.id)]) }
        }
    }
}

@Suite struct ReplayStrictnessTests {
    static func recordedTrace() throws -> String {
        let scenario = SimulationScenario(name: "announce", app: { AnnouncingApp(context: $0) }) { client in
            _ = try await client.request("join")
            client.notify("hello")
        }
        var configuration = SimulationConfiguration()
        configuration.rooms = 2
        configuration.peersPerRoom = 6
        configuration.duration = .seconds(60)
        configuration.arrivalWindow = .milliseconds(100)
        configuration.seed = 3
        let path = temporaryPath("announce.ptrace.zst")
        let header = TraceHeader(createdAtUnixNanoseconds: 0, producerName: ReplaySeed.simulatorProducerName,
                                 producerVersion: "test", host: "test", scenario: "announce", seed: configuration.seed)
        var rc = TraceRecorderConfiguration(path: path, header: header)
        rc.overflowPolicy = .block
        let recorder = try TraceRecorder(configuration: rc)
        _ = try Simulation(configuration, scenario: scenario, tap: recorder).run()
        try recorder.close()
        return path
    }

    @Test func theRecordingReplaysClean() throws {
        let report = try Replayer(path: try Self.recordedTrace(), app: { AnnouncingApp(context: $0) }).run()
        #expect(report.passed, "\(report.description)")
    }

    /// `data.id` is captured by default, but "bob" came from the client's URL: a server that
    /// now sends "Bob" changed it, and the default rules must say so.
    @Test func aChangedValueTheClientSentIsNotCaptured() throws {
        let report = try Replayer(path: try Self.recordedTrace(), app: { AnnouncingApp(context: $0, capitalize: true) }).run()
        #expect(!report.passed)
        let first = try #require(report.divergences.first)
        #expect(first.kind == .mismatch)
        #expect(first.differences.contains { $0.path.description == "data.id" })
        #expect(report.substitutionsLearned == 0)
    }

    /// The awaited call takes 80 ms instead of 50: messages come later than recorded.
    @Test func aMessageThatMovedIsReportedAsMoved() throws {
        let report = try Replayer(path: try Self.recordedTrace(), app: { AnnouncingApp(context: $0, delay: .milliseconds(80)) }).run()
        #expect(!report.passed)
        let first = try #require(report.divergences.first)
        #expect(first.kind == .reordered, "\(first)")
        #expect(first.matchedTime != nil)
        #expect(first.description.contains("order/timing changed"))
    }
}
