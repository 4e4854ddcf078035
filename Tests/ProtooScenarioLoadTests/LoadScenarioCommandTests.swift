import Foundation
import Protoo
import ProtooApps
import ProtooSimulator
import ProtooScenarios
import ProtooTestSupport
import ProtooWebSocket
import Testing

/// `protoo load URL --scenario NAME` as a user runs it: verdicts, exit codes, JSON, JUnit.
@Suite(.serialized) struct LoadScenarioCommandTests {
    static let small = ["--rooms", "1", "--peers-per-room", "2", "--duration", "1s", "--arrival-window", "200ms"]

    @Test func aCleanRunExitsZeroWithTheSimulatorsKeys() async throws {
        try await withServer(app: { EchoApp(context: $0) }) { server in
            let junit = temporaryPath("scenario-load.xml")
            let run = try await ProtooTool.runAsync(["load", "ws://127.0.0.1:\(server.port)/", "--scenario", "echo"] + Self.small
                                                    + ["--threshold", "p99<5s", "--junit", junit, "--json"])
            #expect(run.status == 0, "\(run.outputText)\n\(run.error)")
            let report = try JSONParser.parse(run.outputText)
            for key in ["scenario", "seed", "faults", "rooms", "peers", "connections", "connectionsRejected", "clientRequests",
                        "clientRequestTimeouts", "clientRequestErrors", "reconnects", "latencyP50Ms", "latencyP99Ms", "latencyMaxMs",
                        "methods", "notificationsReceived", "faultsInjected", "invariants", "invariantBreaks", "breaks", "verdict", "exitCode"] {
                #expect(report[key] != nil, "--json lacks \(key)")
            }
            #expect(report["scenario"] == "echo" && report["peers"] == 2 && report["invariantBreaks"] == 0)
            #expect(report["verdict"] == "passed" && report["exitCode"] == 0)
            let xml = try String(contentsOfFile: junit, encoding: .utf8)
            #expect(xml.contains("request-answered-twice") && xml.contains(#"failures="0""#), "\(xml)")
        }
    }

    @Test func aServerAnsweringTwiceFailsTheRunNamingTheInvariant() async throws {
        try await withServer(app: BrokenServerApp.factory(.answersTwice)) { server in
            let junit = temporaryPath("broken-load.xml")
            let run = try await ProtooTool.runAsync(["load", "ws://127.0.0.1:\(server.port)/", "--scenario", "echo"] + Self.small + ["--junit", junit])
            #expect(run.status == 1)
            #expect(run.error.contains("invariant 'request-answered-twice' broken by client"), "\(run.error)")
            #expect(run.error.contains("last messages:"), "\(run.error)")
            #expect(run.outputText.contains("request-answered-twice BROKEN"), "\(run.outputText)")
            let xml = try String(contentsOfFile: junit, encoding: .utf8)
            #expect(xml.contains(#"<testcase name="request-answered-twice""#) && !xml.contains(#"failures="0""#), "\(xml)")
        }
    }

    @Test func aServerAnsweringUnknownIDsFailsTheRunNamingTheInvariant() async throws {
        try await withServer(app: BrokenServerApp.factory(.answersUnknownID)) { server in
            let run = try await ProtooTool.runAsync(["load", "ws://127.0.0.1:\(server.port)/", "--scenario", "echo", "--json"] + Self.small)
            #expect(run.status == 1)
            let report = try JSONParser.parse(run.outputText)
            #expect(report["breaks"]?[0]?["invariant"] == "response-to-unknown-request", "\(report)")
            #expect(report["reason"]?.stringValue?.contains("response-to-unknown-request") == true)
        }
    }

    @Test func theWrongAppBehindTheURLFailsTheRun() async throws {
        // The echo scenario against the conference app: every request refused, nothing succeeds.
        try await withServer(app: { ConferenceApp(context: $0) }) { server in
            let run = try await ProtooTool.runAsync(["load", "ws://127.0.0.1:\(server.port)/", "--scenario", "echo"] + Self.small)
            #expect(run.status == 1, "\(run.outputText)\n\(run.error)")
            #expect(run.outputText.contains("no request succeeded"), "\(run.outputText)")
        }
    }

    @Test func nothingToConnectToCouldNotRun() async throws {
        let port = try await withServer { $0.port }  // shut down: nothing listens there any more
        let run = try await ProtooTool.runAsync(["load", "ws://127.0.0.1:\(port)/", "--scenario", "echo"] + Self.small)
        #expect(run.status == 2, "\(run.outputText)\n\(run.error)")
        #expect(run.error.contains("no client connected"), "\(run.error)")
    }

    @Test func partitionsRunTheWholeRunsClientsAndMergeIntoOneReport() async throws {
        var whole = SimulationConfiguration()
        whole.rooms = 4
        whole.peersPerRoom = 2
        whole.scenario = .echo
        let simulation = Simulation(whole)
        simulation.prepare()
        let expected = Set(simulation.clients.map(\.peerId))
        let seen = RecordingTap()
        try await withServer(app: { EchoApp(context: $0) }, configure: { $0.trafficTap = seen }) { server in
            var files: [String] = []
            for part in ["0/2", "1/2"] {
                let run = try await ProtooTool.runAsync(["load", "ws://127.0.0.1:\(server.port)/", "--scenario", "echo", "--rooms", "4",
                                                         "--peers-per-room", "2", "--duration", "1s", "--arrival-window", "200ms",
                                                         "--partition", part, "--threshold", "p99<5s", "--json"])
                #expect(run.status == 0, "partition \(part): \(run.error)")
                let path = temporaryPath("part-\(part.prefix(1)).json")
                try run.output.write(to: URL(fileURLWithPath: path))
                files.append(path)
            }
            let merged = try await ProtooTool.runAsync(["report", "merge"] + files + ["--json"])
            #expect(merged.status == 0, "\(merged.outputText)\n\(merged.error)")
            let report = try JSONParser.parse(merged.outputText)
            #expect(report["peers"] == 8 && report["rooms"] == 4 && report["connections"] == 8, "\(report)")
            #expect(report["invariantBreaks"] == 0 && report["verdict"] == "passed")
            #expect((report["thresholds"]?.arrayValue ?? []).count == 1)
            let incomplete = try await ProtooTool.runAsync(["report", "merge", files[0]])
            #expect(incomplete.status == 2, "a missing partition must not merge: \(incomplete.outputText)")
        }
        let connected = Set(seen.entries.filter { $0.hasPrefix("requested") }.compactMap { entry in
            entry.components(separatedBy: "peerId=").last.map { String($0.prefix(8)) }
        })
        #expect(connected == expected, "the partitions' clients are the whole run's: \(connected.sorted()) vs \(expected.sorted())")
    }

    @Test func flagsThatDoNotBelongAreRefused() async throws {
        for arguments in [["--scenario", "nope"], ["--scenario", "echo", "--peers", "3"], ["--scenario", "echo", "--trace", "x.ptrace.zst"],
                          ["--faults", "light"], ["--rooms", "2"], ["--scenario", "echo", "--fault-loss", "0.1"],
                          ["--scenario", "echo", "--fault-silent", "2"], ["--scenario", "echo", "--rooms", "1", "--partition", "1/2"],
                          ["--scenario", "echo", "--ca", "/nonexistent.pem"], ["--scenario", "echo", "--duration", "10s", "--arrival-window", "20s"]] {
            let run = try await ProtooTool.runAsync(["load", "ws://127.0.0.1:1/"] + arguments)
            #expect(run.status == 2, "\(arguments): exit \(run.status)")
            #expect(run.error.contains("Error:"), "\(arguments): \(run.error)")
        }
    }
}

/// A fresh path in a directory of its own (a file a run may write: never one that exists).
func temporaryPath(_ name: String) -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("protoo-scenario-load-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent(name).path
}
