import Foundation
import ProtooSimulator
import ProtooTestSupport
import Testing

/// `protoo simulate --repro` and `--minimize` as a user drives them (a failing run of a user's
/// scenario is driven through its own tool in `Tests/Fixtures/ChatTool/check.sh`).
@Suite struct MinimizeCommandTests {
    private func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("protoo-repro-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func aReproRerunsTheSameRunInEveryProcess() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var c = SimulationConfiguration()
        c.scenario = .echo
        c.rooms = 2
        c.peersPerRoom = 3
        c.duration = .seconds(40)
        c.faults = .heavy
        c.seed = 5
        c.population = [ClientKey(room: 0, slot: 1), ClientKey(room: 1, slot: 0), ClientKey(room: 1, slot: 2)]
        let path = dir.appendingPathComponent("echo.json")
        try SimulationRepro(configuration: c, invariant: "none").write(to: path)
        #expect(throws: SimulationReproError.self) { try SimulationRepro(configuration: c, invariant: "none").write(to: path) }
        let first = try ProtooTool.run(["simulate", "--repro", path.path, "--json"])
        let second = try ProtooTool.run(["simulate", "--repro", path.path, "--json"])
        // It breaks nothing (echo has no bug): exit 0, and it says so.
        #expect(first.status == 0, "\(first.error)")
        #expect(first.error.contains("broke no invariant"))
        let a = try JSONSerialization.jsonObject(with: first.output) as? [String: Any]
        let b = try JSONSerialization.jsonObject(with: second.output) as? [String: Any]
        #expect(a?["digest"] as? String != nil && a?["digest"] as? String == b?["digest"] as? String)
        #expect(a?["peers"] as? Int == 3 && a?["rooms"] as? Int == 2 && a?["scenario"] as? String == "echo")
    }

    @Test func badReprosAndPathsCouldNotRun() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let junk = dir.appendingPathComponent("junk.json")
        try Data("{\"format\":\"x\"}".utf8).write(to: junk)
        let bad = try ProtooTool.run(["simulate", "--repro", junk.path])
        #expect(bad.status == 2 && bad.error.contains("repro"), "\(bad.error)")
        let taken = try ProtooTool.run(["simulate", "--minimize", "-o", junk.path, "--scenario", "echo", "--duration", "40s"])
        #expect(taken.status == 2 && taken.error.contains("exists"), "\(taken.error)")
        let sharded = try ProtooTool.run(["simulate", "--minimize", "--shards", "2"])
        #expect(sharded.status == 2, "\(sharded.error)")
    }

    @Test func aRunThatBreaksNothingPrintsItsSummary() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try ProtooTool.run(["simulate", "--scenario", "echo", "--rooms", "1", "--peers-per-room", "2", "--duration", "40s",
                                      "--minimize", "--json"], in: dir.path)
        #expect(run.status == 0, "\(run.error)")
        #expect(run.error.contains("nothing to minimise"))
        #expect(run.outputText.contains("\"digest\""))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "no repro file for a run that broke nothing")
    }
}
