import ArgumentParser
import Foundation
import Protoo
import ProtooSimulator
import ProtooTrace

/// `simulate --minimize` and `simulate --repro`: shrinking a failing run and rerunning the result.
extension Simulate {
    /// Runs seed `seed`; if it breaks an invariant, minimises it, prints the minimal run, writes
    /// its repro file and exits 1. A run that breaks nothing prints its summary (exit 0).
    func minimizeOne(seed: UInt64) throws {
        let scenario = CommandRegistry.current.scenario(named: self.scenario)!  // validate() checked the name
        var config = configuration(seed: seed, faults: faults)
        config.shards = 1
        let minimizer = SimulationMinimizer(scenario: scenario, budget: minimizeBudget.duration)
        let tty = isatty(STDERR_FILENO) != 0
        let result = minimizer.minimize(config, progress: { phase in
            if tty { FileHandle.standardError.write(Data("\rminimize: \(phase)…\u{1B}[K".utf8)) }
        })
        if tty { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        guard let result else {
            writeToStandardError("\(CommandRegistry.current.toolName) simulate: the run broke no invariant: nothing to minimise\n")
            let report = try Simulation(config, scenario: scenario).run()
            print(json ? try Self.jsonText(report) : report.text)
            return
        }
        let path = output ?? Self.freePath("repro-seed-\(seed)", "json")
        do {
            try result.repro.write(to: URL(fileURLWithPath: path))
        } catch {
            writeToStandardError("\(CommandRegistry.current.toolName) simulate: \(error)\n")
            throw ExitCode(2)
        }
        writeToStandardError("\(result.originalFailure)\n")
        if json {
            print(try Self.minimizedJSON(result, path: path))
        } else {
            print(Self.minimizedText(result, path: path))
        }
        throw ExitCode(1)
    }

    /// Minimises seed `seed` of a swarm; its repro file's path and a one-line summary.
    func minimizeInSwarm(seed: UInt64, profile: String) throws -> (path: String, summary: String)? {
        let scenario = CommandRegistry.current.scenario(named: self.scenario)!  // validate() checked the name
        var config = configuration(seed: seed, faults: profile)
        config.shards = 1
        guard let result = SimulationMinimizer(scenario: scenario, budget: minimizeBudget.duration).minimize(config) else { return nil }
        let stem = output.map { ($0 as NSString).deletingPathExtension } ?? "repro"
        let path = Self.freePath("\(stem)-seed-\(seed)", "json")
        do {
            try result.repro.write(to: URL(fileURLWithPath: path))
        } catch {
            writeToStandardError("\(CommandRegistry.current.toolName) simulate: \(error)\n")
            return nil
        }
        return (path, Self.oneLine(result))
    }

    /// Reruns the run of repro file `path`: exit 1 when an invariant breaks (its summary up to
    /// the break still printed, digest included), 0 when none does.
    func rerun(repro path: String) throws {
        let repro: SimulationRepro
        do {
            repro = try SimulationRepro(contentsOf: URL(fileURLWithPath: path))
        } catch {
            writeToStandardError("\(CommandRegistry.current.toolName) simulate: \(error)\n")
            throw ExitCode(2)
        }
        guard let scenario = CommandRegistry.current.scenario(named: repro.configuration.scenario.rawValue) else {
            writeToStandardError("\(CommandRegistry.current.toolName) simulate: \(path) is a run of scenario '\(repro.configuration.scenario)', which this tool does not have (it has \(CommandRegistry.current.scenarioNames.joined(separator: ", ")))\n")
            throw ExitCode(2)
        }
        let recorder: TraceRecorder?
        do {
            recorder = try record.map { try makeRecorder(path: $0, config: repro.configuration) }
        } catch {
            writeToStandardError("\(CommandRegistry.current.toolName) simulate: \(error)\n")
            throw ExitCode(2)
        }
        defer {
            do { try recorder?.close() } catch {
                writeToStandardError("error: closing the trace failed: \(error)\n")
            }
        }
        let simulation = Simulation(repro: repro, scenario: scenario, tap: recorder)
        simulation.reproduceCommand = "\(CommandRegistry.current.commandName) simulate --repro \(path)"
        do {
            let report = try simulation.run()
            print(json ? try Self.jsonText(report) : report.text)
            writeToStandardError("\(CommandRegistry.current.toolName) simulate: \(path) broke no invariant (it broke '\(repro.invariant)' when written): fixed?\n")
        } catch let failure as SimulationFailure {
            let report = simulation.reportSoFar()
            print(json ? try Self.jsonText(report) : report.text)
            writeToStandardError("\(failure)\n")
            if failure.name != repro.invariant {
                writeToStandardError("note: it broke '\(failure.name)', not the repro's '\(repro.invariant)'\n")
            }
            throw ExitCode(1)
        }
    }

    /// `stem.ext`, or `stem-2.ext`, `stem-3.ext`… : the first that does not exist.
    static func freePath(_ stem: String, _ ext: String) -> String {
        var path = "\(stem).\(ext)", n = 2
        while FileManager.default.fileExists(atPath: path) {
            path = "\(stem)-\(n).\(ext)"
            n += 1
        }
        return path
    }

    static func jsonText(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// The minimal run's summary (the keys of `simulate --json`) plus `original`, `repro`,
    /// `invariant` and `minimize` (the search's figures and the remaining faults).
    static func minimizedJSON(_ result: SimulationMinimizer.Result, path: String) throws -> String {
        func object(_ report: SimulationReport) throws -> [String: Any] {
            let data = try JSONEncoder().encode(report)
            return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
        }
        var top = try object(result.report)
        top["original"] = try object(result.originalReport)
        top["repro"] = path
        top["invariant"] = result.failure.name
        top["failure"] = result.failure.invariant
        top["minimize"] = [
            "runs": result.runs,
            "searchSeconds": Double(result.searchTime.nanoseconds) / 1e9,
            "budgetExhausted": result.budgetExhausted,
            "eventsBefore": result.originalFailure.events,
            "eventsAfter": result.failure.events,
            "faultsBefore": result.original.faultSchedule?.count ?? 0,
            "faults": (result.minimal.faultSchedule ?? []).map(\.description),
            "clients": result.minimal.clientKeys.map(\.description),
            "stepLimits": Dictionary(uniqueKeysWithValues: result.minimal.stepLimits.map { ($0.key.description, $0.value) }),
            "brokenAtSeconds": Double(result.failure.time.nanoseconds) / 1e9,
        ] as [String: Any]
        let data = try JSONSerialization.data(withJSONObject: top, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    /// What `--minimize` prints: before → after, the faults left, the failure, the file.
    static func minimizedText(_ result: SimulationMinimizer.Result, path: String) -> String {
        let o = result.original, m = result.minimal
        func messages(_ r: SimulationReport) -> Int { (r.messagesByKind["request in"] ?? 0) + (r.messagesByKind["notification in"] ?? 0) }
        let before = result.originalFailure.events, after = result.failure.events
        let ratio = after > 0 ? Double(before) / Double(after) : 0
        var lines = [
            "minimised in \(seconds(result.searchTime)) (\(result.runs) runs\(result.budgetExhausted ? ", budget spent: best found so far" : "")): '\(result.failure.name)' still breaks",
            "  rooms     \(o.populatedRooms) → \(m.populatedRooms)",
            "  peers     \(o.clientKeys.count) → \(m.clientKeys.count) (\(m.clientKeys.map(\.description).joined(separator: ", ")))",
            "  faults    \(o.faultSchedule?.count ?? 0) → \(m.faultSchedule?.count ?? 0)",
        ]
        lines += (m.faultSchedule ?? []).map { "    \($0)" }
        let limits = m.stepLimits.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        lines += [
            "  messages  \(messages(result.originalReport)) → \(messages(result.report)) client messages up to the failure\(limits.isEmpty ? "" : " (step limits: \(limits.joined(separator: ", ")))")",
            "  duration  \(seconds(o.duration)) → \(seconds(m.duration))",
            "  events    \(before) → \(after) up to the failure (\(String(format: "%.1f", ratio))× fewer)",
            "  broken at \(result.failure.time): \(result.failure.invariant)",
            "  digest    \(result.report.digest)",
            "  repro     \(path) (rerun: \(CommandRegistry.current.commandName) simulate --repro \(path))",
        ]
        return lines.joined(separator: "\n")
    }

    /// `1 room, 2 peers, 1 fault, 1234 → 56 events` for a swarm's line.
    static func oneLine(_ result: SimulationMinimizer.Result) -> String {
        let m = result.minimal
        return "\(m.populatedRooms) room(s), \(m.clientKeys.count) peer(s), \(m.faultSchedule?.count ?? 0) fault(s), \(result.originalFailure.events) → \(result.failure.events) events, '\(result.failure.name)'"
    }

    static func seconds(_ d: Duration) -> String {
        String(format: "%.1f s", Double(d.nanoseconds) / 1e9)
    }
}
