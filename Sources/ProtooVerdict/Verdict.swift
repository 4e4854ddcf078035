/// A run's outcome as an exit code, the same for every tool (docs/replay.md, docs/load.md):
/// 0 clean and every threshold met; 1 diverged, an error, or a threshold failed; 2 could not run
/// (bad arguments, unreadable trace, target unreachable, nothing compared).
public enum Verdict: Int32, Sendable, Hashable, CustomStringConvertible {
    case passed = 0
    case failed = 1
    case couldNotRun = 2

    public var exitCode: Int32 { rawValue }

    /// The worse of two verdicts (could not run > failed > passed).
    public func combined(with other: Verdict) -> Verdict { rawValue >= other.rawValue ? self : other }

    /// The name in `--json` output: `passed`, `failed`, `couldNotRun`.
    public var name: String {
        switch self {
        case .passed: return "passed"
        case .failed: return "failed"
        case .couldNotRun: return "couldNotRun"
        }
    }

    public var description: String {
        switch self {
        case .passed: return "PASSED"
        case .failed: return "FAILED"
        case .couldNotRun: return "COULD NOT RUN"
        }
    }
}
