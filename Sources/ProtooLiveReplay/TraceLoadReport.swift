import Foundation
import Protoo
import ProtooReplay
import ProtooVerdict

/// What `protoo load --trace` reports: the load (connections, messages, latency per method), the
/// divergences from the recording (grouped by kind, method and JSON path, the first few in full,
/// all in ``json``), the thresholds and the verdict.
public struct TraceLoadReport: Sendable, CustomStringConvertible {
    /// A divergence, with the copy and pass it happened in.
    public struct Divergence: Sendable {
        public var copy: Int
        public var pass: Int
        public var divergence: ReplayDivergence
    }

    /// Divergences of one kind, method and first differing path.
    public struct Group: Sendable {
        public var kind: ReplayDivergence.Kind
        public var method: String?
        /// The first differing JSON path (`data.peers[0]`, `errorCode`, `event`), if any.
        public var path: String?
        public var count: Int
        /// The first of them.
        public var example: Divergence
    }

    public var target: String
    public var copies: Int
    public var connectionsPerCopy: Int
    /// Passes over the recording, all copies together, and how many a `--duration` cut.
    public var passes: Int
    public var passesCut: Int
    public var durationSeconds: Double?
    public var rampUpSeconds: Double
    public var connectionsOpened: Int
    public var messagesSent: Int
    public var messagesReceived: Int
    public var outputsCompared: Int
    public var notCompared: [String: Int]
    public var wallSeconds: Double
    public var interrupted: Bool
    public var measurements: Measurements
    /// Failures the recording does not have ("join 403", "join unanswered").
    public var errors: [String: Int]
    /// Error responses the recording has too ("reject 503").
    public var recordedErrors: [String: Int]
    /// Every divergence, by copy and pass.
    public var divergences: [Divergence]
    /// Grouped, the largest group first.
    public var groups: [Group]
    /// Copies with at least one divergence.
    public var copiesDiverged: Int
    public var thresholds: [ThresholdResult]
    public var verdict: Verdict
    public var verdictReason: String

    public var passed: Bool { verdict == .passed }

    init(results: [CopyRunner.Result], load: TraceLoad, wallSeconds: Double, interrupted: Bool) {
        target = load.target
        copies = load.copies
        connectionsPerCopy = load.connectionsPerCopy
        durationSeconds = load.duration.map { Double($0.nanoseconds) / 1e9 }
        rampUpSeconds = Double(load.rampUp.nanoseconds) / 1e9
        self.wallSeconds = wallSeconds
        self.interrupted = interrupted
        var passes = 0, cut = 0, opened = 0, sent = 0, received = 0, compared = 0, dialFailures = 0, refusedDials = 0
        var unreachable: String?
        var notCompared: [String: Int] = [:], errors: [String: Int] = [:], recordedErrors: [String: Int] = [:]
        var measurements = Measurements()
        var divergences: [Divergence] = []
        var diverged = Set<Int>()
        for r in results {
            for (pass, s) in r.sessions {
                passes += 1
                if s.wasCut { cut += 1 }
                opened += s.connectionsOpened
                sent += s.messagesSent
                received += s.messagesReceived
                compared += s.outputsCompared
                dialFailures += s.dialFailures
                refusedDials += s.refusedDials
                unreachable = unreachable ?? s.unreachable
                notCompared.merge(s.notCompared, uniquingKeysWith: +)
                errors.merge(s.errors, uniquingKeysWith: +)
                recordedErrors.merge(s.recordedErrors, uniquingKeysWith: +)
                measurements.merge(s.measurements)
                for d in s.divergences { divergences.append(Divergence(copy: r.copy, pass: pass, divergence: d)) }
                if !s.divergences.isEmpty { diverged.insert(r.copy) }
            }
        }
        self.passes = passes
        passesCut = cut
        connectionsOpened = opened
        messagesSent = sent
        messagesReceived = received
        outputsCompared = compared
        self.notCompared = notCompared
        self.errors = errors
        self.recordedErrors = recordedErrors
        self.measurements = measurements
        self.divergences = divergences
        copiesDiverged = diverged.count
        groups = Self.group(divergences)
        thresholds = load.options.thresholds.map { $0.evaluate(measurements) }
        var couldNotRun: String?
        if opened == 0, dialFailures > 0, refusedDials == 0 {
            couldNotRun = "target unreachable: " + (unreachable ?? "no connection could be made")
        } else if opened == 0, !load.options.allowsEmpty, refusedDials == 0 {
            couldNotRun = "no connection opened"
        } else if compared == 0, !load.options.allowsEmpty {
            couldNotRun = "nothing compared: no recorded server event was reached (--allow-empty accepts that)"
        }
        (verdict, verdictReason) = VerdictRules.judge(couldNotRun: couldNotRun, divergences: divergences.count, errors: 0,
                                                      thresholds: thresholds)
    }

    static func group(_ all: [Divergence]) -> [Group] {
        var groups: [String: Group] = [:]
        var order: [String] = []
        for d in all {
            let path = d.divergence.differences.first.map { $0.path.description }
            let key = "\(d.divergence.kind.rawValue)\u{0}\(d.divergence.method ?? "")\u{0}\(path ?? "")"
            var group = groups[key] ?? {
                order.append(key)
                return Group(kind: d.divergence.kind, method: d.divergence.method, path: path, count: 0, example: d)
            }()
            group.count += 1
            groups[key] = group
        }
        return order.compactMap { groups[$0] }.enumerated().sorted { ($0.element.count, -$0.offset) > ($1.element.count, -$1.offset) }.map(\.element)
    }

    /// How many divergences the text report shows in full.
    public static let shownInFull = 3

    public var description: String {
        var lines = ["load from a trace against \(target): \(verdict) (\(verdictReason))"]
        let shape = "\(copies) cop\(copies == 1 ? "y" : "ies") × \(connectionsPerCopy) recorded connection\(connectionsPerCopy == 1 ? "" : "s")"
        lines.append("load shape:   \(shape)" + (rampUpSeconds > 0 ? ", started over \(Self.format(rampUpSeconds)) s" : "")
                     + (durationSeconds.map { ", looped for \(Self.format($0)) s" } ?? ", one pass each"))
        lines.append("passes:       \(passes)" + (passesCut > 0 ? " (\(passesCut) cut at the end of --duration: compared up to where they got)" : ""))
        lines.append("connections:  \(connectionsOpened) opened")
        lines.append("messages:     \(messagesSent) sent, \(messagesReceived) received in \(Self.format(wallSeconds)) s")
        lines.append("compared:     \(outputsCompared) server events")
        for key in notCompared.keys.sorted() { lines.append("  not compared: \(notCompared[key]!) \(key)") }
        lines.append("divergences:  \(divergences.count)" + (divergences.isEmpty ? "" : " in \(copiesDiverged) of \(copies) copies"))
        if interrupted { lines.append("interrupted:  stopped before the end; what was measured up to there is below") }
        if !errors.isEmpty { lines.append("errors:       " + LiveReplayReport.list(errors) + " (the recording has none of these)") }
        if !recordedErrors.isEmpty { lines.append("as recorded:  " + LiveReplayReport.list(recordedErrors) + " (error responses the recording has too)") }
        let table = MethodSummary.table(MethodSummary.all(measurements))
        if !table.isEmpty { lines.append(""); lines.append(contentsOf: table) }
        if !thresholds.isEmpty {
            lines.append("")
            lines.append("thresholds:")
            for t in thresholds { lines.append("  \(t)") }
        }
        if !groups.isEmpty {
            lines.append("")
            lines.append("divergences by kind, method and path:")
            for g in groups.prefix(20) {
                lines.append("  \(String(g.count).padding(toLength: 7, withPad: " ", startingAt: 0)) \(g.kind.rawValue)"
                             + (g.method.map { " \($0)" } ?? "") + (g.path.map { " \($0)" } ?? ""))
            }
            if groups.count > 20 { lines.append("  … and \(groups.count - 20) more groups (use --json)") }
            for d in divergences.prefix(Self.shownInFull) {
                lines.append("")
                lines.append("copy \(d.copy), pass \(d.pass): " + d.divergence.description)
            }
            if divergences.count > Self.shownInFull { lines.append("… and \(divergences.count - Self.shownInFull) more (all of them with --json)") }
        }
        return lines.joined(separator: "\n")
    }

    public var json: JSONValue {
        var o = JSONObject()
        o["passed"] = .bool(passed)
        o["verdict"] = .string(verdict.name)
        o["exitCode"] = JSONValue(Int(verdict.exitCode))
        o["reason"] = .string(verdictReason)
        o["target"] = .string(target)
        o["copies"] = JSONValue(copies)
        o["connectionsPerCopy"] = JSONValue(connectionsPerCopy)
        o["passes"] = JSONValue(passes)
        o["passesCut"] = JSONValue(passesCut)
        o["durationSeconds"] = durationSeconds.map(JSONValue.double) ?? .null
        o["rampUpSeconds"] = .double(rampUpSeconds)
        o["connectionsOpened"] = JSONValue(connectionsOpened)
        o["messagesSent"] = JSONValue(messagesSent)
        o["messagesReceived"] = JSONValue(messagesReceived)
        o["outputsCompared"] = JSONValue(outputsCompared)
        o["notCompared"] = LiveReplayReport.object(notCompared)
        o["wallSeconds"] = .double(wallSeconds)
        o["interrupted"] = .bool(interrupted)
        o["requests"] = JSONValue(measurements.requests.values.reduce(0, +))
        o["methods"] = .array(MethodSummary.all(measurements).map(\.json))
        o["errors"] = LiveReplayReport.object(errors)
        o["recordedErrors"] = LiveReplayReport.object(recordedErrors)
        o["divergenceCount"] = JSONValue(divergences.count)
        o["copiesDiverged"] = JSONValue(copiesDiverged)
        o["divergenceGroups"] = .array(groups.map { g in
            ["kind": .string(g.kind.rawValue), "method": g.method.map(JSONValue.string) ?? .null, "path": g.path.map(JSONValue.string) ?? .null,
             "count": JSONValue(g.count)]
        })
        o["divergences"] = .array(divergences.map { d in
            guard case .object(var e) = d.divergence.json else { return d.divergence.json }
            e["copy"] = JSONValue(d.copy)
            e["pass"] = JSONValue(d.pass)
            return .object(e)
        })
        o["thresholds"] = .array(thresholds.map(\.json))
        return .object(o)
    }

    /// A JUnit test case per threshold, and one for the comparison with the recording.
    public func junit(suiteName: String) -> JUnitReport {
        var cases = thresholds.map(\.testCase)
        var comparison = JUnitReport.TestCase(name: "divergences from the recording", className: "load", seconds: wallSeconds)
        if !divergences.isEmpty {
            comparison.failure = ("\(divergences.count) divergences in \(copiesDiverged) of \(copies) copies",
                                  groups.map { "\($0.count) \($0.kind.rawValue) \($0.method ?? "") \($0.path ?? "")" }.joined(separator: "\n"))
        }
        cases.append(comparison)
        if verdict == .couldNotRun {
            cases.append(JUnitReport.TestCase(name: "run", className: "load", failure: (verdictReason, verdictReason)))
        }
        return JUnitReport(suiteName: suiteName, seconds: wallSeconds, testCases: cases)
    }

    static func format(_ s: Double) -> String { String(format: "%.2f", s) }
}
