import Foundation
import Protoo
import ProtooApps
import ProtooScenarioLoad
import ProtooScenarios
import ProtooSimulator
import ProtooTestSupport
import Testing

/// `protoo load --scenario` against the real JavaScript protoo-server 4.0.8 (opt-in, as
/// JSProtooServerTests: `PROTOO_JS_MODULES`), running the JS twin of the conformance app
/// (Tests/Interop/js-conformance-server.js), and against `protoo serve --app conformance` side by
/// side: the built-in `echo` scenario under heavy faults, and a scenario as a user writes one.
@Suite(.enabled(if: JSProtoo.modules != nil,
                "set PROTOO_JS_MODULES to a node_modules folder with protoo-server and protoo-client 4.0.8 (npm install protoo-server@4.0.8 protoo-client@4.0.8)"),
       .serialized, .timeLimit(.minutes(10)))
struct JSScenarioLoadTests {
    static func servers() async throws -> [(name: String, server: ProtooChild)] {
        [("JS protoo-server", try await JSProtoo.server()),
         ("protoo serve", try await ProtooChild(["serve", "--app", "conformance", "--host", "127.0.0.1", "--port", "0"]))]
    }

    @Test func theEchoScenarioUnderHeavyFaultsRunsCleanAgainstBothServers() async throws {
        for (name, server) in try await Self.servers() {
            defer { _ = server.stop() }
            let run = try await ProtooTool.runAsync(["load", server.url, "--scenario", "echo", "--rooms", "5", "--peers-per-room", "4",
                                                     "--duration", "20s", "--arrival-window", "5s", "--faults", "heavy",
                                                     "--fault-drop-rate", "3", "--fault-clog-rate", "3", "--fault-clog-for", "2s",
                                                     "--seed", "11", "--threshold", "p99<5s", "--json"])
            #expect(run.status == 0, "against \(name): \(run.outputText.prefix(3000))\n\(run.error)")
            let report = try JSONParser.parse(run.outputText)
            #expect(report["invariantBreaks"] == 0, "against \(name): \(report["breaks"] ?? .null)")
            #expect((report["reconnects"]?.intValue ?? 0) > 0 && (report["clientRequests"]?.intValue ?? 0) > 100)
            print("JS interop, load --scenario echo --faults heavy against \(name): exit \(run.status), \(report["peers"] ?? 0) clients, "
                  + "\(report["connections"] ?? 0) connections, \(report["reconnects"] ?? 0) reconnects, \(report["clientRequests"] ?? 0) requests, "
                  + "p50 \(report["latencyP50Ms"] ?? 0) ms, p99 \(report["latencyP99Ms"] ?? 0) ms, faults \(report["faultsInjected"] ?? .null), "
                  + "breaks \(report["invariantBreaks"] ?? 0)")
        }
    }

    @Test func aJSAppThatAnswersTwiceFailsTheRunNamingTheInvariant() async throws {
        // Tests/Interop/js-broken-echo-server.js: a real protoo-server app whose echo handler forgets
        // a `return`, so every fifth echo is answered twice.
        let broken = try await ProtooChild(launching: try #require(JSProtoo.nodePath),
                                           [JSProtoo.interop.appendingPathComponent("js-broken-echo-server.js").path],
                                           environment: ["NODE_PATH": try #require(JSProtoo.modules)])
        defer { _ = broken.stop() }
        let run = try await ProtooTool.runAsync(["load", broken.url, "--scenario", "echo", "--rooms", "2", "--peers-per-room", "3",
                                                 "--duration", "8s", "--arrival-window", "0s", "--json"])
        #expect(run.status == 1, "\(run.outputText.prefix(2000))\n\(run.error)")
        #expect(run.error.contains("invariant 'request-answered-twice' broken by client"), "\(run.error)")
        let report = try JSONParser.parse(run.outputText)
        #expect(report["breaks"]?[0]?["invariant"] == "request-answered-twice")
        #expect(report["breaks"]?[0]?["lastMessages"]?.arrayValue?.contains { $0.stringValue?.contains("shortcut") == true } == true,
                "the last messages show the extra answer: \(report["breaks"] ?? .null)")
        print("JS interop, load --scenario echo against a JS app answering every fifth echo twice: exit \(run.status), "
              + "\(report["invariants"]?.arrayValue?.first { $0["name"] == "request-answered-twice" }?["breaks"] ?? 0) breaks of request-answered-twice")
    }

    /// A scenario as a user writes one against their app (here the conformance app's methods): the
    /// server asks each client who it is, notifies it, lists its room; the client checks it is in
    /// its room's list and that the server's request came back with its own answer.
    static var usersScenario: SimulationScenario {
        var scenario = SimulationScenario(name: "whoami", app: { ConformanceApp(context: $0) }) { client in
            while true {
                let peers = try await client.request("roomPeers")
                let listed = peers["peers"]?.arrayValue?.compactMap(\.stringValue) ?? []
                if !listed.contains(client.peerId) { client.simulated.memory["missing"] = "not in its room's list \(listed)" }
                let answer = try await client.request("requestMe", ["method": "whoAreYou", "data": ["ask": "name"]])
                if answer["peerId"]?.stringValue != client.peerId { client.simulated.memory["wrong"] = "requestMe came back with \(answer)" }
                _ = try await client.request("notifyMe", ["method": "hello", "data": ["to": .string(client.peerId)]])
                let hello = try await client.notification("hello", within: .seconds(30))
                if hello["to"]?.stringValue != client.peerId { client.simulated.memory["wrong"] = "a hello for \(hello)" }
                try await client.sleep(for: .milliseconds(300 + Int64(client.random.next(upperBound: UInt64(400)))))
            }
        }
        scenario.onServerRequest = { (client: ScenarioClient, request: IncomingRequest) -> Reply in
            let me: JSONValue = ["peerId": .string(client.peerId)]
            return request.method == "whoAreYou" ? .accept(me) : .reject(code: 404, reason: "unknown")
        }
        scenario.clientInvariant("listed in its own room") { $0.memory["missing"] as? String }
        scenario.clientInvariant("answers reach the right client") { $0.memory["wrong"] as? String }
        return scenario
    }

    @Test func aUsersScenarioRunsCleanAgainstBothServers() async throws {
        for (name, server) in try await Self.servers() {
            defer { _ = server.stop() }
            var configuration = ScenarioLoad.Configuration(url: server.url)
            configuration.clients.rooms = 4
            configuration.clients.peersPerRoom = 5
            configuration.clients.duration = .seconds(15)
            configuration.clients.arrivalWindow = .seconds(3)
            configuration.clients.seed = 5
            configuration.clients.faults = .light
            configuration.clients.faults.dropRate = 4
            configuration.clients.faults.clogRate = 4
            configuration.clients.faults.clogDuration = .seconds(1)
            configuration.logger = Harness.quietLogger
            let report = try await ScenarioLoad(configuration, scenario: Self.usersScenario).run()
            #expect(report.invariantBreaks == 0, "against \(name): \(report.breaks)")
            #expect(report.invariants.contains { $0.name == "listed in its own room" && $0.checks > 0 })
            #expect((report.serverRequestsAnswered["whoAreYou"] ?? 0) > 50 && (report.notificationsReceived["hello"] ?? 0) > 50)
            #expect(report.reconnects > 0)
            print("JS interop, a user's scenario against \(name): \(report.peers) clients, \(report.connections) connections, "
                  + "\(report.reconnects) reconnects, \(report.clientRequests) requests, p99 \(report.latencyP99Ms) ms, "
                  + "faults \(report.faultsInjected), breaks \(report.invariantBreaks)")
        }
    }
}
