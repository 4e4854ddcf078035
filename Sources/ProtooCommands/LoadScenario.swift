import ArgumentParser
import Foundation
import NIOSSL
import Protoo
import ProtooProxy
import ProtooScenarioLoad
import ProtooSimulator
import ProtooVerdict

extension Load {
    /// Checks the flags of a scenario load.
    func validateScenario(_ name: String) throws {
        guard CommandRegistry.current.scenario(named: name) != nil else {
            throw ValidationError("no scenario '\(name)': one of \(CommandRegistry.current.scenarioNames.joined(separator: ", "))")
        }
        if trace != nil { throw ValidationError("--scenario and --trace are two loads: choose one") }
        if peers != nil { throw ValidationError("--peers does not apply with --scenario: use --rooms and --peers-per-room") }
        if rate != nil || inflight != 1 || method != "echo" || payload != 0 {
            throw ValidationError("--rate, --inflight, --method and --payload do not apply with --scenario: the scenario's clients say what is sent")
        }
        if copies != 1 || rules != nil || rampUp != nil { throw ValidationError("--copies, --rules and --ramp-up apply with --trace only") }
        if let partition, partition.block(of: scenarioOptions.rooms ?? 10).isEmpty {
            throw ValidationError("--partition \(partition): \(scenarioOptions.rooms ?? 10) rooms leave nothing for this partition; use fewer partitions")
        }
        if let ca = scenarioOptions.ca, !FileManager.default.isReadableFile(atPath: ca) { throw ValidationError("--ca \(ca): no such readable file") }
        if faults.loss != nil { throw ValidationError("--fault-loss does not apply with --scenario: a WebSocket (TCP) never loses a message; use --faults, drops and clogs") }
        do {
            _ = try makeScenarioConfiguration()
        } catch let error as ScenarioLoadError {
            throw ValidationError(error.description)
        } catch let error as ProxyError {
            throw ValidationError(error.description)
        }
        try verdict.checkJUnitPath(against: [])
    }

    func makeScenarioConfiguration() throws -> ScenarioLoad.Configuration {
        var configuration = ScenarioLoad.Configuration(url: url)
        var clients = SimulationConfiguration()
        clients.rooms = scenarioOptions.rooms ?? 10
        clients.peersPerRoom = scenarioOptions.peersPerRoom ?? 6
        clients.duration = duration?.duration ?? .seconds(60)
        clients.arrivalWindow = scenarioOptions.arrivalWindow?.duration ?? min(.seconds(30), clients.duration / 2)
        clients.seed = faults.seed ?? 1
        let link = try faults.makeProfile()
        var profile = link.profile
        try scenarioOptions.apply(to: &profile)
        clients.faults = profile
        configuration.latency = link.latency
        configuration.jitter = link.jitter
        if let partition {
            // This partition's rooms, their clients exactly as in the whole run (each client's draws are its own).
            let rooms = partition.block(of: clients.rooms)
            clients.population = rooms.flatMap { room in (0..<clients.peersPerRoom).map { ClientKey(room: room, slot: $0) } }
        }
        configuration.clients = clients
        if let ca = scenarioOptions.ca {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(ca)
            configuration.tls = tls
        }
        configuration.threads = threads
        if let drain = scenarioOptions.drainTimeout { configuration.drainTimeout = drain.duration }
        try configuration.validate()
        return configuration
    }

    func runScenario(_ name: String) async throws {
        guard let scenario = CommandRegistry.current.scenario(named: name) else { throw ExitCode(Verdict.couldNotRun.exitCode) }
        let configuration = try makeScenarioConfiguration()
        let load = ScenarioLoad(configuration, scenario: scenario)
        let progress = ScenarioLoadProgress()
        let control = ScenarioLoadControl()
        let interrupt = InterruptHandler { control.stop() }
        let line = ProgressLine(label: "load") {
            let s = progress.snapshot
            return "\(s.connections) connections · \(s.requests) requests · \(s.breaks) invariant breaks · of \(configuration.clients.duration)"
        }
        let report: ScenarioLoadReport
        do {
            report = try await load.run(progress: progress, control: control)
        } catch {
            line.finish()
            interrupt.finish()
            writeToStandardError("protoo load: \(error)\n")
            throw ExitCode(Verdict.couldNotRun.exitCode)
        }
        line.finish()
        interrupt.finish()
        if report.interrupted { writeToStandardError("protoo load: interrupted: the figures are up to there\n") }
        let thresholds = verdict.parsed.map { $0.evaluate(report.measurements) }
        let (outcome, reason) = Self.judge(report, thresholds: thresholds, allowEmpty: verdict.allowEmpty)
        if outcome != .passed { writeToStandardError("protoo load: \(outcome): \(reason)\n") }
        for broken in report.breaks { writeToStandardError(broken.description + "\n") }
        if json {
            var object = try Self.jsonObject(report, thresholds: thresholds, outcome: outcome, reason: reason)
            if let partition {
                // What `protoo report merge` needs to combine the partitions exactly.
                object["partition"] = .string(partition.description)
                object["measurements"] = try Self.jsonObject(report.measurements)
            }
            print(JSONWriter.string(object))
        } else {
            print(Self.text(report, thresholds: thresholds, outcome: outcome, reason: reason))
        }
        var cases = thresholds.map(\.testCase)
        for invariant in report.invariants {
            let first = report.breaks.first { $0.invariant == invariant.name }
            cases.append(JUnitReport.TestCase(name: invariant.name, className: "invariants", seconds: 0,
                                              failure: invariant.breaks == 0 ? nil : ("broken \(invariant.breaks) times", first?.description ?? "")))
        }
        cases.append(JUnitReport.TestCase(name: "run", className: "load", seconds: report.wallSeconds,
                                          failure: outcome == .passed ? nil : (reason, report.text)))
        let wrote = verdict.write(JUnitReport(suiteName: "protoo load --scenario \(name) \(url)", seconds: report.wallSeconds, testCases: cases),
                                  tool: "protoo load")
        throw ExitCode((wrote ? outcome : outcome.combined(with: .couldNotRun)).exitCode)
    }

    /// The summary: verdict, report, thresholds.
    static func text(_ report: ScenarioLoadReport, thresholds: [ThresholdResult], outcome: Verdict, reason: String) -> String {
        var lines = ["load: \(outcome) (\(reason))", report.text]
        if !thresholds.isEmpty {
            lines.append("thresholds:")
            for t in thresholds { lines.append("  \(t)") }
        }
        return lines.joined(separator: "\n")
    }

    /// `value` as a JSON object (sorted keys).
    static func jsonObject(_ value: some Encodable) throws -> JSONValue {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try JSONParser.parse(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// A scenario load's verdict: could not run when no client ever connected or nothing went
    /// either way (unless `allowEmpty`); failed on a broken invariant, a failed threshold, or when
    /// not one request succeeded. Some failed requests alone do not fail it (faults and departures
    /// fail some by design): gate them with `--threshold errors==0` or `'errors<1%'`.
    static func judge(_ report: ScenarioLoadReport, thresholds: [ThresholdResult], allowEmpty: Bool) -> (Verdict, String) {
        if report.connections == 0 && !allowEmpty {
            let refused = report.refusals.sorted { $0.key < $1.key }.map { "\($0.value) refused with \($0.key)" }.joined(separator: ", ")
            return (.couldNotRun, "nothing measured: no client connected (\(report.connectionAttemptsFailed) attempts failed\(refused.isEmpty ? "" : ": " + refused))")
        }
        if report.connections > 0, report.messagesSent + report.messagesReceived == 0, !allowEmpty {
            return (.couldNotRun, "nothing measured: \(report.connections) connections opened but no message went either way")
        }
        let broken = report.brokenInvariants
        if !broken.isEmpty {
            let named = broken.map { name in "'\(name)' ×\(report.invariants.first { $0.name == name }?.breaks ?? 0)" }
            let failed = thresholds.filter { !$0.passed }
            return (.failed, "invariant\(broken.count == 1 ? "" : "s") broken: \(named.joined(separator: ", "))"
                    + (failed.isEmpty ? "" : "; threshold\(failed.count == 1 ? "" : "s") failed: " + failed.map(\.threshold.description).joined(separator: ", ")))
        }
        let succeeded = report.methods.reduce(0) { $0 + $1.answered }
        let judgesErrors = thresholds.contains { $0.threshold.metric == .errors }
        if report.clientRequests > 0, succeeded == 0, !judgesErrors {
            let errors = report.methods.flatMap { m in m.errors.sorted { $0.key < $1.key }.map { "\(m.method) \($0.key) ×\($0.value)" } }
            return (.failed, "no request succeeded: \(report.clientRequests) sent, \(errors.prefix(5).joined(separator: ", "))")
        }
        return VerdictRules.judge(couldNotRun: nil, divergences: 0, errors: 0, thresholds: thresholds)
    }
}
