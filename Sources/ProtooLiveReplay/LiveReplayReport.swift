import Foundation
import Protoo
import ProtooReplay
import ProtooVerdict

/// The outcome of a live replay: what was compared and how it differed, what went over the
/// sockets, what was measured (latency per method), the thresholds, and the verdict.
public struct LiveReplayReport: Sendable, CustomStringConvertible {
    public var target: String
    /// Trace records read, and the recording's length.
    public var events: Int
    public var recordingDuration: Duration
    /// Recorded connections, and how many the server accepted.
    public var connections: Int
    public var connectionsOpened: Int
    /// Connections the recording's proxy refused itself (not replayed): "#id (peer): why".
    public var proxyRefusals: [String]
    /// Client events fed (connections, messages, closes).
    public var inputs: Int
    public var messagesSent: Int
    public var messagesReceived: Int
    /// Recorded client messages not sent: their connection was not open, or the server request
    /// they answer never came.
    public var notSent: Int
    /// Server events compared with the recording.
    public var outputsCompared: Int
    /// Events not compared, by why (after a connection diverged, after a cut-off recording's end).
    public var notCompared: [String: Int]
    /// Every divergence, earliest first: a connection's first, then mismatched responses on it.
    public var divergences: [ReplayDivergence]
    /// `true` when the replay stopped at ``LiveReplayOptions/stopAfterDivergences``.
    public var stoppedEarly: Bool
    /// `true` when the run was stopped (``LiveRunControl``) before its end.
    public var interrupted: Bool
    public var substitutionsLearned: Int
    public var wallSeconds: Double
    /// Records of connections that began before the trace (a cut trace).
    public var skippedRecords: Int
    public var truncation: ReplayTruncation?
    public var metadataDamage: [String]
    /// Latency (send to response) and failures of the client requests, by method.
    public var measurements: Measurements
    /// Failures the recording does not have ("join 403", "join unanswered").
    public var errors: [String: Int]
    /// Error responses the recording has too ("reject 503").
    public var recordedErrors: [String: Int]
    public var thresholds: [ThresholdResult]
    public var verdict: Verdict
    /// Why the verdict is what it is ("nothing compared", "2 divergences", "clean").
    public var verdictReason: String

    /// `true` when the verdict is a pass.
    public var passed: Bool { verdict == .passed }

    init(session: LiveSession, target: String, plan: LivePlan, metadataDamage: [String], options: LiveReplayOptions) {
        self.target = target
        events = plan.records
        recordingDuration = .nanoseconds(plan.lastTime - plan.firstTime)
        connections = plan.connections.count
        connectionsOpened = session.connectionsOpened
        proxyRefusals = plan.proxyRefusals.map { r in
            "#\(r.connection)" + (r.peer.map { " (peer \($0))" } ?? "") + ": \(r.text)"
        }
        inputs = session.inputs
        messagesSent = session.messagesSent
        messagesReceived = session.messagesReceived
        notSent = session.notSent
        outputsCompared = session.outputsCompared
        notCompared = session.notCompared
        divergences = session.divergences
        stoppedEarly = session.stoppedEarly
        interrupted = session.wasCut
        substitutionsLearned = session.substitutionsLearned
        wallSeconds = session.wallSeconds
        skippedRecords = plan.skippedRecords
        truncation = plan.cutOff.map { ReplayTruncation(reason: $0, comparedUpTo: .nanoseconds(plan.lastTime), uncomparedOutputs: session.notCompared[LiveSession.NotCompared.afterCutOff] ?? 0) }
        self.metadataDamage = metadataDamage
        measurements = session.measurements
        errors = session.errors
        recordedErrors = session.recordedErrors
        let refused = Set(plan.proxyRefusals.map(\.connection))
        connectionNames = plan.connections.filter { !refused.contains($0.id) }.map { c in
            (c.id, "connection #\(c.id)" + (c.peer.map { " peer \($0)" } ?? "") + (c.room.map { " room \($0)" } ?? ""))
        }
        thresholds = options.thresholds.map { $0.evaluate(session.measurements) }
        var couldNotRun: String?
        if let reason = session.unreachable {
            couldNotRun = "target unreachable: \(reason)"
        } else if session.connectionsOpened == 0, session.dialFailures > 0, session.refusedDials == 0 {
            couldNotRun = "target unreachable: no recorded connection could be made"
        } else if session.outputsCompared == 0, !options.allowsEmpty {
            couldNotRun = plan.records == 0 ? "nothing compared: the trace has no complete record"
                : "nothing compared: no recorded server event was reached (--allow-empty accepts that)"
        }
        (verdict, verdictReason) = VerdictRules.judge(couldNotRun: couldNotRun, divergences: divergences.count, errors: 0,
                                                      thresholds: thresholds)
    }

    public var description: String {
        var lines = ["live replay against \(target): \(verdict) (\(verdictReason))"]
        lines.append("recording:        \(events) records, \(Self.seconds(recordingDuration))s")
        lines.append("connections:      \(connections) (\(connectionsOpened) opened)")
        for r in proxyRefusals { lines.append("  not replayed:   \(r) (a refusal the recording's proxy made, never the server's)") }
        lines.append("messages:         \(messagesSent) sent, \(messagesReceived) received"
                     + (notSent > 0 ? ", \(notSent) not sent (connection closed or request never came)" : ""))
        lines.append("compared:         \(outputsCompared) server events")
        for key in notCompared.keys.sorted() { lines.append("  not compared:   \(notCompared[key]!) \(key)") }
        lines.append("divergences:      \(divergences.count)\(stoppedEarly ? " (stopped early)" : "")")
        if interrupted { lines.append("interrupted:      stopped before the end; compared up to there") }
        lines.append("substitutions:    \(substitutionsLearned)")
        lines.append("wall time:        \(String(format: "%.3f", wallSeconds))s")
        if skippedRecords > 0 { lines.append("skipped:          \(skippedRecords) records of connections opened before the trace") }
        if let truncation { lines.append("truncated:        \(truncation)") }
        for d in metadataDamage { lines.append("damaged:          \(d)") }
        if !errors.isEmpty { lines.append("errors:           " + Self.list(errors) + " (the recording has none of these)") }
        let table = MethodSummary.table(MethodSummary.all(measurements))
        if !table.isEmpty { lines.append(""); lines.append(contentsOf: table) }
        if !thresholds.isEmpty {
            lines.append("")
            lines.append("thresholds:")
            for t in thresholds { lines.append("  \(t)") }
        }
        for d in divergences.prefix(10) { lines.append(""); lines.append(d.description) }
        if divergences.count > 10 { lines.append("… and \(divergences.count - 10) more (use --json for all)") }
        return lines.joined(separator: "\n")
    }

    public var json: JSONValue {
        var o = JSONObject()
        o["passed"] = .bool(passed)
        o["verdict"] = .string(verdict.name)
        o["exitCode"] = JSONValue(Int(verdict.exitCode))
        o["reason"] = .string(verdictReason)
        o["target"] = .string(target)
        o["events"] = JSONValue(events)
        o["recordingSeconds"] = .double(Double(recordingDuration.nanoseconds) / 1e9)
        o["connections"] = JSONValue(connections)
        o["connectionsOpened"] = JSONValue(connectionsOpened)
        o["proxyRefusals"] = .array(proxyRefusals.map(JSONValue.string))
        o["inputs"] = JSONValue(inputs)
        o["messagesSent"] = JSONValue(messagesSent)
        o["messagesReceived"] = JSONValue(messagesReceived)
        o["notSent"] = JSONValue(notSent)
        o["outputsCompared"] = JSONValue(outputsCompared)
        o["notCompared"] = Self.object(notCompared)
        o["divergenceCount"] = JSONValue(divergences.count)
        o["stoppedEarly"] = .bool(stoppedEarly)
        o["interrupted"] = .bool(interrupted)
        o["substitutionsLearned"] = JSONValue(substitutionsLearned)
        o["wallSeconds"] = .double(wallSeconds)
        o["skippedRecords"] = JSONValue(skippedRecords)
        o["truncation"] = truncation?.json ?? .null
        o["metadataDamage"] = .array(metadataDamage.map(JSONValue.string))
        o["methods"] = .array(MethodSummary.all(measurements).map(\.json))
        o["errors"] = Self.object(errors)
        o["recordedErrors"] = Self.object(recordedErrors)
        o["thresholds"] = .array(thresholds.map(\.json))
        o["divergences"] = .array(divergences.map(\.json))
        return .object(o)
    }

    /// A JUnit test case per recorded connection (failed: its divergences; skipped: a refusal the
    /// recording's proxy made) and one per threshold.
    public func junit(suiteName: String) -> JUnitReport {
        var byConnection: [ConnectionID: [ReplayDivergence]] = [:]
        for d in divergences { byConnection[d.connection, default: []].append(d) }
        var cases: [JUnitReport.TestCase] = connectionNames.map { id, name in
            let found = byConnection[id] ?? []
            var c = JUnitReport.TestCase(name: name, className: "replay")
            if let first = found.first {
                c.failure = ("\(found.count) divergence\(found.count == 1 ? "" : "s"): \(first.kind.rawValue)"
                             + (first.method.map { " in \($0)" } ?? "")
                             + (first.differences.first.map { " at \($0.path)" } ?? ""),
                             found.map(\.description).joined(separator: "\n\n"))
            }
            return c
        }
        for r in proxyRefusals { cases.append(JUnitReport.TestCase(name: "connection \(r)", className: "replay", skipped: "refused by the recording's proxy: not replayed")) }
        cases += thresholds.map(\.testCase)
        if verdict == .couldNotRun {
            cases.append(JUnitReport.TestCase(name: "run", className: "replay", failure: (verdictReason, verdictReason)))
        }
        return JUnitReport(suiteName: suiteName, seconds: wallSeconds, testCases: cases)
    }

    /// The recorded connections that were replayed, by id, named for a test case.
    var connectionNames: [(ConnectionID, String)]

    static func object(_ d: [String: Int]) -> JSONValue {
        var o = JSONObject()
        for (key, value) in d.sorted(by: { $0.key < $1.key }) { o[key] = JSONValue(value) }
        return .object(o)
    }

    static func list(_ d: [String: Int]) -> String { d.keys.sorted().map { "\($0): \(d[$0]!)" }.joined(separator: ", ") }

    static func seconds(_ d: Duration) -> String { String(format: "%.3f", Double(d.nanoseconds) / 1e9) }
}
