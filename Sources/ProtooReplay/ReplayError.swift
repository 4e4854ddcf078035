import ProtooTrace

/// Why a replay could not run (a divergence is not an error: it is in the ``ReplayReport``).
/// Each case says what to do next.
public enum ReplayError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The trace could not be read.
    case trace(TraceError)
    /// The rules file is not valid.
    case invalidRules(source: String, reason: String)
    /// No app is registered under this name.
    case unknownApp(name: String, known: [String])

    public var description: String {
        switch self {
        case .trace(let error):
            return "cannot read the trace: \(error)"
        case .invalidRules(let source, let reason):
            return "invalid replay rules in \(source): \(reason); see docs/replay.md for the rules format"
        case .unknownApp(let name, let known):
            return "unknown app '\(name)'; use one of: \(known.joined(separator: ", "))"
        }
    }
}
