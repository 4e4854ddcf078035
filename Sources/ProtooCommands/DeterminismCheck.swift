import ArgumentParser
import Foundation
import ProtooScenarios
import ProtooSimulator

/// `simulate --check-determinism`: the run in this process, then the same command in a fresh
/// process (Swift seeds hashing per process, so `Dictionary` and `Set` iterate in another order
/// there), both recorded as JSON lines; the same digest passes, otherwise the first event that
/// differs is shown from both runs. (madsim's `MADSIM_TEST_CHECK_DETERMINISM`, across processes.)
struct DeterminismCheck {
    let command: Simulate

    func run() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("protoo-determinism-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let here = directory.appendingPathComponent("this-process.jsonl").path
        let fresh = directory.appendingPathComponent("fresh-process.jsonl").path

        let first = try runHere(recordingTo: here)
        let second = try runFresh(recordingTo: fresh)
        if first == second {
            print("determinism check passed: digest \(first) in this process and in a fresh one")
            return
        }
        print("determinism check FAILED: digest \(first) in this process, \(second) in a fresh one")
        if let (index, mine, theirs) = try Self.firstDifference(here, fresh) {
            print("first differing event: #\(index)\n  this process:  \(mine ?? "(none: the run ended)")\n  fresh process: \(theirs ?? "(none: the run ended)")")
        }
        print("a run that differs between processes usually iterates a Dictionary or Set where the order reaches its output")
        throw ExitCode(1)
    }

    /// Runs the simulation in this process with a JSON-lines recording; returns its digest.
    private func runHere(recordingTo path: String) throws -> String {
        let config = command.configuration(seed: command.seed, faults: command.faults)
        let scenario = CommandRegistry.current.scenario(named: command.scenario)!  // the command's validate() checked the name
        let recorder = try command.makeRecorder(path: path, config: config)
        let simulation = Simulation(config, scenario: scenario, tap: recorder)
        simulation.reproduceCommand = command.reproduce(seed: command.seed, faults: command.faults)
        defer { try? recorder.close() }
        do {
            return try simulation.run().digest
        } catch let failure as SimulationFailure {
            FileHandle.standardError.write(Data("\(failure)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// The same command line without `--check-determinism`, in a new process; returns its digest.
    private func runFresh(recordingTo path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        process.arguments = CommandLine.arguments.dropFirst().filter { $0 != "--check-determinism" && $0 != "--json" }
            + ["--record", path, "--json"]
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_DETERMINISTIC_HASHING"] = nil
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let digest = object["digest"] as? String else {
            throw ValidationError("the fresh process failed (exit \(process.terminationStatus)): \(String(decoding: data, as: UTF8.self))")
        }
        return digest
    }

    /// The first record (line, header excluded) that differs between two JSON-lines traces.
    static func firstDifference(_ a: String, _ b: String) throws -> (Int, String?, String?)? {
        let left = try String(contentsOfFile: a, encoding: .utf8).split(separator: "\n").dropFirst()
        let right = try String(contentsOfFile: b, encoding: .utf8).split(separator: "\n").dropFirst()
        for (i, (l, r)) in zip(left, right).enumerated() where l != r { return (i + 1, String(l), String(r)) }
        guard left.count != right.count else { return nil }
        let i = min(left.count, right.count)
        return (i + 1, left.dropFirst(i).first.map(String.init), right.dropFirst(i).first.map(String.init))
    }
}
