import Protoo

/// What a replay of a cut-off recording compared: the recording holds a prefix of every
/// connection's events, up to its last complete record.
public struct ReplayTruncation: Sendable, Hashable, CustomStringConvertible {
    /// Where and why the recording stops (`at byte N: …` for a truncated file, or a salvaged
    /// copy's note).
    public var reason: String
    /// The time of the last complete record: the replay compared up to there.
    public var comparedUpTo: Duration
    /// Live server events after their connection's last recorded event: not compared (the
    /// recording may have lost them).
    public var uncomparedOutputs: Int

    package init(reason: String, comparedUpTo: Duration, uncomparedOutputs: Int) {
        self.reason = reason
        self.comparedUpTo = comparedUpTo
        self.uncomparedOutputs = uncomparedOutputs
    }

    public var description: String {
        let ms = comparedUpTo.nanoseconds / 1_000_000
        let fraction = String(ms % 1000)
        let seconds = "\(ms / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
        return "trace truncated \(reason); compared up to \(seconds)s, the last complete record; "
            + "\(uncomparedOutputs) live events after their connection's last recorded one not compared"
    }

    package var json: JSONValue {
        ["reason": .string(reason), "comparedUpToNs": .int(comparedUpTo.nanoseconds), "uncomparedOutputs": JSONValue(uncomparedOutputs)]
    }
}
