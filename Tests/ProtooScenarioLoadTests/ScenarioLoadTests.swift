import Protoo
import ProtooApps
import ProtooScenarioLoad
import ProtooScenarios
import ProtooSimulator
import ProtooTestSupport
import ProtooWebSocket
import Testing

/// The simulator's clients over real sockets against in-process servers: clean runs, faults on
/// the real connections, and broken servers caught by the client invariants. Each run lasts a
/// couple of wall-clock seconds (its duration); assertions are on what happened, never on timing.
@Suite(.serialized) struct ScenarioLoadTests {
    static func configuration(_ server: ProtooServer, rooms: Int = 2, peers: Int = 3, duration: Duration = .seconds(2)) -> ScenarioLoad.Configuration {
        var configuration = ScenarioLoad.Configuration(url: "ws://127.0.0.1:\(server.port)/")
        configuration.clients.rooms = rooms
        configuration.clients.peersPerRoom = peers
        configuration.clients.duration = duration
        configuration.clients.arrivalWindow = .milliseconds(300)
        configuration.clients.invariantInterval = .milliseconds(200)
        configuration.logger = Harness.quietLogger
        return configuration
    }

    @Test func theEchoScenarioRunsCleanAgainstOurServer() async throws {
        try await withServer(app: { EchoApp(context: $0) }) { server in
            let report = try await ScenarioLoad(Self.configuration(server), scenario: .echo).run()
            #expect(report.invariantBreaks == 0, "\(report.breaks)")
            #expect(report.peers == 6 && report.connections == 6 && report.clientsFinished == 6)
            #expect(report.clientRequests >= 6)
            let echo = try #require(report.methods.first { $0.method == "echo" })
            #expect(echo.answered >= 6 && echo.answered + (echo.errors["closed"] ?? 0) == echo.requests)
            #expect(report.latencyP50Ms > 0)
            #expect(report.reconnects == 0 && report.faultsInjected.isEmpty)
        }
    }

    @Test func theSameSeedMakesTheSimulatorsClients() async throws {
        var simulated = SimulationConfiguration()
        simulated.rooms = 1
        simulated.peersPerRoom = 3
        simulated.duration = .seconds(1)
        simulated.scenario = .echo
        let simulation = Simulation(simulated)
        simulation.prepare()
        let ids = Set(simulation.clients.map(\.peerId))
        let seen = RecordingTap()
        try await withServer(app: { EchoApp(context: $0) }, configure: { $0.trafficTap = seen }) { server in
            var configuration = Self.configuration(server, rooms: 1, peers: 3, duration: .seconds(1))
            configuration.clients.seed = simulated.seed
            _ = try await ScenarioLoad(configuration, scenario: .echo).run()
        }
        let targets = seen.entries.filter { $0.hasPrefix("requested") }
        for id in ids { #expect(targets.contains { $0.contains("peerId=\(id)") && $0.contains("roomId=room-0") }, "\(targets)") }
    }

    @Test func injectedDropsMakeTheConferenceReconnectWithoutBreakingAnything() async throws {
        try await withServer(app: { ConferenceApp(context: $0) }) { server in
            var configuration = Self.configuration(server, duration: .seconds(4))
            configuration.clients.faults.dropRate = 40
            configuration.clients.faults.clogRate = 20
            configuration.clients.faults.clogDuration = .milliseconds(300)
            configuration.latency = .milliseconds(2)
            configuration.jitter = .milliseconds(3)
            let report = try await ScenarioLoad(configuration, scenario: .conference).run()
            #expect(report.invariantBreaks == 0, "\(report.breaks)")
            #expect((report.faultsInjected["drop"] ?? 0) > 0 && report.reconnects > 0, "\(report.faultsInjected), \(report.reconnects)")
            #expect(report.connections > report.peers)
            #expect((report.methods.first { $0.method == "join" }?.answered ?? 0) >= report.peers)
            #expect((report.serverRequestsAnswered["newConsumer"] ?? 0) > 0)
            #expect(report.clientsFinished == report.peers)
        }
    }

    @Test func aServerCloseEndsTheClientForGood() async throws {
        try await withServer(app: { EchoApp(context: $0) }) { server in
            var configuration = Self.configuration(server, rooms: 1, peers: 4, duration: .seconds(3))
            configuration.clients.faults.serverCloseRate = 600
            let report = try await ScenarioLoad(configuration, scenario: .echo).run()
            #expect(report.faultsInjected["serverClose"] == 4, "\(report.faultsInjected)")
            #expect(report.reconnects == 0 && report.connections == 4)
            #expect(report.invariantBreaks == 0, "\(report.breaks)")
        }
    }

    @Test(arguments: [(BrokenServerApp.Mode.answersTwice, "request-answered-twice"),
                      (.answersUnknownID, "response-to-unknown-request"),
                      (.sendsGarbage, "invalid-message")])
    func aBrokenServerBreaksTheInvariantItViolates(mode: BrokenServerApp.Mode, invariant: String) async throws {
        try await withServer(app: BrokenServerApp.factory(mode)) { server in
            let report = try await ScenarioLoad(Self.configuration(server, rooms: 1, peers: 2, duration: .seconds(1)), scenario: .echo).run()
            #expect(report.brokenInvariants.first == invariant, "\(report.brokenInvariants)")
            let first = try #require(report.breaks.first)
            #expect(first.invariant == invariant)
            #expect(first.client.hasPrefix("room-0/") && first.peerId.count == 8)
            #expect(first.lastMessages.contains { $0.contains("→") && $0.contains("echo") }, "\(first.lastMessages)")
            #expect(first.lastMessages.contains { $0.contains("←") }, "\(first.lastMessages)")
        }
    }

    @Test func aScenarioOfYourOwnChecksItsClientInvariants() async throws {
        // As a user writes it: a script against the conformance app, and an invariant on what each
        // client saw (here one that breaks once a client got three notifications).
        var scenario = SimulationScenario(name: "notify-me", app: { ConformanceApp(context: $0) }) { client in
            while true {
                _ = try await client.request("notifyMe", ["method": "ping", "data": ["n": 1]])
                _ = try await client.notification("ping", within: .seconds(5))
                client.simulated.memory["pings", default: 0] = (client.simulated.memory["pings"] as? Int ?? 0) + 1
                try await client.sleep(for: .milliseconds(100))
            }
        }
        scenario.clientInvariant("fewer than three pings") { client in
            (client.memory["pings"] as? Int ?? 0) >= 3 ? "got \(client.memory["pings"] ?? 0) pings" : nil
        }
        try await withServer { server in
            let report = try await ScenarioLoad(Self.configuration(server, rooms: 1, peers: 2, duration: .seconds(2)), scenario: scenario).run()
            #expect(report.brokenInvariants == ["fewer than three pings"], "\(report.breaks)")
            #expect(report.invariants.first { $0.name == "fewer than three pings" }?.breaks == 2)
            #expect((report.notificationsReceived["ping"] ?? 0) >= 6)
        }
    }

    struct WrongAnswer: Error {}

    @Test func aScriptThatThrowsIsAScriptErrorOfThatClient() async throws {
        let scenario = SimulationScenario(name: "thrower", app: { EchoApp(context: $0) }) { client in
            _ = try await client.request("echo", ["n": 1])
            throw WrongAnswer()
        }
        try await withServer(app: { EchoApp(context: $0) }) { server in
            let report = try await ScenarioLoad(Self.configuration(server, rooms: 1, peers: 1, duration: .seconds(1)), scenario: scenario).run()
            let broken = try #require(report.breaks.first)
            #expect(broken.invariant == "script-error" && broken.client == "room-0/0", "\(broken)")
            #expect(broken.detail.contains("WrongAnswer"))
            #expect(broken.lastMessages.contains { $0.contains("echo") }, "\(broken.lastMessages)")
        }
    }

    @Test func aServerThatRefusesEveryoneConnectsNobody() async throws {
        try await withServer(app: { _ in RefusingApp() }) { server in
            var configuration = Self.configuration(server, rooms: 1, peers: 2, duration: .seconds(1))
            configuration.clients.retry.retries = 1
            configuration.clients.retry.minTimeout = .milliseconds(50)
            let report = try await ScenarioLoad(configuration, scenario: .echo).run()
            #expect(report.connections == 0 && report.connectionsRejected == 4 && report.refusals["403"] == 4)
            #expect(report.clientsFinished == 2 && report.clientsGaveUp == 2)
        }
    }

    @Test func invalidKnobsAreRefusedBeforeAnythingRuns() async {
        var configuration = ScenarioLoad.Configuration(url: "http://x")
        await #expect(throws: ScenarioLoadError.self) { _ = try await ScenarioLoad(configuration, scenario: .echo).run() }
        configuration.url = "ws://127.0.0.1:1/"
        configuration.clients.duration = .seconds(10)
        configuration.clients.arrivalWindow = .seconds(20)
        #expect(throws: ScenarioLoadError.self) { try configuration.validate() }
    }
}

/// Refuses every connection with 403.
final class RefusingApp: ProtooApp {
    func handleConnection(_ request: ConnectionRequest) { request.reject(status: 403, reason: "go away") }
}
