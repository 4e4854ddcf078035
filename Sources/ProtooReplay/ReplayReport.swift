import Protoo
import ProtooVerdict

/// The outcome of a replay: counts, timing and every divergence (at most one per connection).
public struct ReplayReport: Sendable, Hashable, CustomStringConvertible {
    /// Trace records read.
    public var events: Int
    /// Client-side events fed to the server (connection requests, messages, closes).
    public var inputs: Int
    /// Server events compared with the recording.
    public var outputsCompared: Int
    /// Divergences, earliest first.
    public var divergences: [ReplayDivergence]
    /// Virtual time covered (the trace's last record time).
    public var virtualDuration: Duration
    /// Wall time the replay took (informational only).
    public var wallSeconds: Double
    /// The engine seed the app ran with.
    public var engineSeed: UInt64
    /// Recorded → live values learned at `capture` paths.
    public var substitutionsLearned: Int
    /// Server-side closes the replayer performed because the recording has them and the app did not
    /// close by then (closes by the server's infrastructure, or a fault injector).
    public var replayerServerCloses: Int
    /// Records of connections that began before the trace (nothing to replay them against).
    public var skippedRecords: Int
    /// `true` when the replay stopped at ``ReplayOptions/stopAfterDivergences``.
    public var stoppedEarly: Bool
    /// Set when the recording was cut off (a crash, `head -c`, or a salvaged copy): what was
    /// compared. `nil` for a complete trace.
    public var truncation: ReplayTruncation? = nil
    /// Damaged trace metadata the reader worked around (no record was lost), one line each.
    public var metadataDamage: [String] = []
    /// Nothing compared is a pass (``ReplayOptions/allowsEmpty``).
    public var allowsEmpty = false

    package init(events: Int, inputs: Int, outputsCompared: Int, divergences: [ReplayDivergence], virtualDuration: Duration,
                 wallSeconds: Double, engineSeed: UInt64, substitutionsLearned: Int, replayerServerCloses: Int,
                 skippedRecords: Int, stoppedEarly: Bool, truncation: ReplayTruncation? = nil, metadataDamage: [String] = [],
                 allowsEmpty: Bool = false) {
        self.events = events
        self.inputs = inputs
        self.outputsCompared = outputsCompared
        self.divergences = divergences
        self.virtualDuration = virtualDuration
        self.wallSeconds = wallSeconds
        self.engineSeed = engineSeed
        self.substitutionsLearned = substitutionsLearned
        self.replayerServerCloses = replayerServerCloses
        self.skippedRecords = skippedRecords
        self.stoppedEarly = stoppedEarly
        self.truncation = truncation
        self.metadataDamage = metadataDamage
        self.allowsEmpty = allowsEmpty
    }

    /// 0 passed: something was compared and nothing diverged; 1 failed: a divergence; 2 could not
    /// run: nothing was compared (no recorded server event reached), unless ``allowsEmpty``.
    public var verdict: Verdict {
        if !divergences.isEmpty { return .failed }
        if outputsCompared == 0, !allowsEmpty { return .couldNotRun }
        return .passed
    }

    /// Why the verdict is what it is.
    public var verdictReason: String {
        switch verdict {
        case .failed: return "\(divergences.count) divergence\(divergences.count == 1 ? "" : "s")"
        case .couldNotRun: return events == 0 ? "nothing compared: the trace has no complete record"
            : "nothing compared: no recorded server event was reached (--allow-empty accepts that)"
        case .passed: return outputsCompared == 0 ? "nothing compared, allowed" : "clean"
        }
    }

    /// `true` when the verdict is a pass: something was compared and nothing diverged.
    public var passed: Bool { verdict == .passed }

    /// Recorded events replayed per wall second.
    public var eventsPerSecond: Double { wallSeconds > 0 ? Double(events) / wallSeconds : 0 }

    /// The summary, followed by each divergence.
    public var description: String {
        let virtual = Double(virtualDuration.nanoseconds) / 1e9
        var lines = [
            "replay: \(verdict) (\(verdictReason))",
            "events:           \(events) (\(inputs) fed, \(outputsCompared) server events compared)",
            "divergences:      \(divergences.count)\(stoppedEarly ? " (stopped early)" : "")",
            "virtual duration: \(String(format3(virtual)))s",
            "wall time:        \(String(format3(wallSeconds)))s (\(Int(eventsPerSecond)) events/s)",
            "engine seed:      \(engineSeed)",
            "substitutions:    \(substitutionsLearned)",
        ]
        if replayerServerCloses > 0 { lines.append("replayer closes:  \(replayerServerCloses) (server closes the app did not make itself)") }
        if skippedRecords > 0 { lines.append("skipped:          \(skippedRecords) records of connections opened before the trace") }
        if let truncation { lines.append("truncated:        \(truncation)") }
        for d in metadataDamage { lines.append("damaged:          \(d)") }
        for d in divergences.prefix(10) { lines.append(""); lines.append(d.description) }
        if divergences.count > 10 { lines.append("… and \(divergences.count - 10) more (use --json for all)") }
        return lines.joined(separator: "\n")
    }

    /// The report as one JSON object.
    public var json: JSONValue {
        [
            "passed": .bool(passed), "verdict": .string(verdict.name),
            "exitCode": JSONValue(Int(verdict.exitCode)), "reason": .string(verdictReason), "events": JSONValue(events), "inputs": JSONValue(inputs),
            "outputsCompared": JSONValue(outputsCompared), "divergenceCount": JSONValue(divergences.count),
            "virtualDurationNs": .int(virtualDuration.nanoseconds), "wallSeconds": .double(wallSeconds),
            "engineSeed": .string(String(engineSeed)), "substitutionsLearned": JSONValue(substitutionsLearned),
            "replayerServerCloses": JSONValue(replayerServerCloses), "skippedRecords": JSONValue(skippedRecords),
            "stoppedEarly": .bool(stoppedEarly), "divergences": .array(divergences.map(\.json)),
            "truncation": truncation?.json ?? .null, "metadataDamage": .array(metadataDamage.map(JSONValue.string)),
        ]
    }

    private func format3(_ v: Double) -> String {
        let ms = Int64((v * 1000).rounded())
        let frac = String(ms % 1000)
        return "\(ms / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)"
    }
}
