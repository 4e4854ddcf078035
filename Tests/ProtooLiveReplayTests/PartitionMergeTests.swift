import Foundation
import Protoo
import ProtooTestSupport
import Testing

/// `--partition I/N` and `protoo report merge`: N partitions merged are the whole run.
@Suite(.timeLimit(.minutes(3)))
struct PartitionMergeTests {
    private func write(_ result: ProtooTool.Result, _ name: String) throws -> String {
        let path = temporaryPath(name)
        try result.output.write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func aSwarmsPartitionsMergeIntoTheWholeSwarm() async throws {
        let run = ["simulate", "--scenario", "echo", "--rooms", "1", "--peers-per-room", "2", "--duration", "40s",
                   "--faults", "heavy", "--seeds", "1..7", "--json"]
        let whole = try await ProtooTool.runAsync(run)
        var paths: [String] = []
        for index in [2, 0] {
            let part = try await ProtooTool.runAsync(run + ["--partition", "\(index)/3"])
            let json = try JSONParser.parse(part.outputText)
            #expect(json["partition"]?.stringValue == "\(index)/3" && json["range"]?.stringValue == "1..7")
            paths.append(try write(part, "swarm-\(index).json"))
        }
        // The middle one as a Kubernetes Indexed Job runs it: N alone, I from the environment.
        let indexed = try await ProtooTool.runAsync(run + ["--partition", "3"], environment: ["JOB_COMPLETION_INDEX": "1"])
        #expect(try JSONParser.parse(indexed.outputText)["partition"]?.stringValue == "1/3")
        paths.append(try write(indexed, "swarm-1.json"))

        let merged = try await ProtooTool.runAsync(["report", "merge", "--json"] + paths)
        #expect(merged.outputText == whole.outputText)
        #expect(merged.status == whole.status)
        let text = try await ProtooTool.runAsync(["report", "merge"] + paths)
        #expect(text.outputText.hasPrefix("swarm: 7 seeds, "))

        let missing = try await ProtooTool.runAsync(["report", "merge", "--json"] + paths.dropLast())
        #expect(missing.status == 2 && missing.error.contains("partitions missing: 1/3"), "\(missing.error)")
        let twice = try await ProtooTool.runAsync(["report", "merge", "--json"] + paths + [paths[0]])
        #expect(twice.status == 2, "\(twice.error)")
        let notPartitioned = try await ProtooTool.runAsync(["report", "merge", "--json", try write(whole, "swarm-whole.json")])
        #expect(notPartitioned.status == 2 && notPartitioned.error.contains("--partition"), "\(notPartitioned.error)")
    }

    @Test func aLoadsPartitionsAddUpAndMergeTheirHistograms() async throws {
        let serve = try await ProtooChild(["serve", "--app", "conformance", "--host", "127.0.0.1", "--port", "0"])
        defer { serve.stop() }
        var paths: [String] = [], issued = 0, answered = 0
        for index in 0..<2 {
            let part = try await ProtooTool.runAsync(["load", serve.url, "--peers", "5", "--duration", "1s", "--partition", "\(index)/2",
                                                      "--threshold", "p99<30s", "--json"])
            #expect(part.status == 0, "\(part.error)")
            let json = try JSONParser.parse(part.outputText)
            #expect(json["peersRequested"]?.intValue == (index == 0 ? 3 : 2))
            #expect(json["measurements"] != nil && json["connectTimesMilliseconds"]?.arrayValue?.count == (index == 0 ? 3 : 2))
            issued += json["issued"]?.intValue ?? 0
            answered += json["latency"]?["count"]?.intValue ?? 0
            paths.append(try write(part, "load-\(index).json"))
        }
        let merged = try await ProtooTool.runAsync(["report", "merge", "--json"] + paths)
        #expect(merged.status == 0, "\(merged.error)")
        let json = try JSONParser.parse(merged.outputText)
        #expect(json["peersRequested"]?.intValue == 5 && json["peersConnected"]?.intValue == 5)
        #expect(json["issued"]?.intValue == issued && issued > 0)
        #expect(json["latency"]?["count"]?.intValue == answered)
        #expect(json["partition"] == nil && json["measurements"] == nil)
        #expect(json["verdict"]?.stringValue == "passed")
        #expect(json["thresholds"]?[0]?["threshold"]?.stringValue == "p99<30s")
        let whole = try await ProtooTool.runAsync(["load", serve.url, "--peers", "5", "--duration", "1s", "--json"])
        let wholeKeys = try JSONParser.parse(whole.outputText).objectValue.map { Set($0.keys) }
        #expect(json.objectValue.map { Set($0.keys) } == wholeKeys, "the merged object has the whole run's keys")
    }

    @Test func aTraceLoadsPartitionsAddUpToTheWholeLoad() async throws {
        let path = temporaryPath("partition.ptrace.zst")
        try await withRecordingServer(to: path) { server in
            let a = try await openClient(server.port, query: "peerId=dave&roomId=r1")
            for i in 0..<3 { _ = try await a.request("echo", ["i": .int(Int64(i))]) }
            await a.close()
        }
        let serve = try await ProtooChild(["serve", "--app", "conformance", "--host", "127.0.0.1", "--port", "0"])
        defer { serve.stop() }
        let run = ["load", serve.url, "--trace", path, "--copies", "5", "--speed", "max", "--threshold", "p99<30s", "--json"]
        let whole = try await ProtooTool.runAsync(run)
        #expect(whole.status == 0, "\(whole.error)")
        var paths: [String] = []
        for index in 0..<2 {
            let part = try await ProtooTool.runAsync(run + ["--partition", "\(index)/2"])
            #expect(part.status == 0, "\(part.error)")
            let json = try JSONParser.parse(part.outputText)
            #expect(json["copies"]?.intValue == (index == 0 ? 3 : 2) && json["measurements"] != nil)
            paths.append(try write(part, "trace-load-\(index).json"))
        }
        let merged = try await ProtooTool.runAsync(["report", "merge", "--json"] + paths)
        #expect(merged.status == 0, "\(merged.error)")
        let m = try JSONParser.parse(merged.outputText), w = try JSONParser.parse(whole.outputText)
        #expect(m.objectValue.map { Set($0.keys) } == w.objectValue.map { Set($0.keys) }, "the merged object has the whole load's keys")
        for key in ["copies", "connectionsPerCopy", "connectionsOpened", "messagesSent", "outputsCompared", "requests", "divergenceCount", "passes"] {
            #expect(m[key] == w[key], "\(key): merged \(m[key]?.description ?? "nil"), whole \(w[key]?.description ?? "nil")")
        }
        #expect(m["passed"] == true && m["thresholds"]?[0]?["passed"] == true)
    }
}
