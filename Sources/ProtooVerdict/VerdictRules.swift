/// How a run's figures become its ``Verdict`` (docs/replay.md and docs/load.md, "Verdicts"):
/// - could not run (2): the target was unreachable, or nothing was compared / measured (unless
///   the run allows that);
/// - failed (1): a threshold failed; or, without a threshold on `divergences` (on `errors`),
///   anything diverged (any request failed);
/// - passed (0): otherwise.
public struct VerdictRules: Sendable {
    /// A threshold on `divergences` replaces "any divergence fails"; one on `errors` replaces "any
    /// failed request fails".
    public static func judge(couldNotRun: String?, divergences: Int, errors: Int,
                             thresholds: [ThresholdResult]) -> (verdict: Verdict, reason: String) {
        if let couldNotRun { return (.couldNotRun, couldNotRun) }
        let failed = thresholds.filter { !$0.passed }
        if !failed.isEmpty {
            return (.failed, "threshold\(failed.count == 1 ? "" : "s") failed: " + failed.map(\.threshold.description).joined(separator: ", "))
        }
        let judgesDivergences = thresholds.contains { $0.threshold.metric == .divergences }
        if divergences > 0, !judgesDivergences { return (.failed, "\(divergences) divergence\(divergences == 1 ? "" : "s")") }
        let judgesErrors = thresholds.contains { $0.threshold.metric == .errors }
        if errors > 0, !judgesErrors { return (.failed, "\(errors) failed request\(errors == 1 ? "" : "s")") }
        return (.passed, thresholds.isEmpty ? "clean" : "clean, \(thresholds.count) threshold\(thresholds.count == 1 ? "" : "s") met")
    }
}
