/// How fast virtual time runs against the wall clock during a replay.
public enum ReplaySpeed: Sendable, Hashable, CustomStringConvertible {
    /// As fast as possible: virtual time only.
    case maximum
    /// Paced: `factor` virtual seconds per wall second (1 = real time).
    case paced(factor: Double)

    /// Parses `max`, `1x`, `10x`, `0.5x`.
    public init?(argument: String) {
        if argument == "max" { self = .maximum; return }
        guard argument.hasSuffix("x"), let f = Double(argument.dropLast()), f > 0, f.isFinite else { return nil }
        self = .paced(factor: f)
    }

    public var description: String {
        switch self {
        case .maximum: return "max"
        case .paced(let f): return f == f.rounded() ? "\(Int(f))x" : "\(f)x"
        }
    }
}

extension ReplaySpeed {
    /// `--speed`'s default in `protoo replay` (in-process and live) and `protoo load --trace`:
    /// `max`, each client event as soon as what it waits for is in.
    public static let defaultArgument = "max"
}
