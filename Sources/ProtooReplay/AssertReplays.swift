import Protoo

/// A replay that diverged, as a test failure: the report says where and how.
public struct ReplayFailure: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var report: ReplayReport

    public var description: String {
        if report.divergences.isEmpty {
            return "replay of \(path) compared nothing (\(report.verdictReason)): a test that checks nothing never passes; "
                + "replay a trace with server events, or set ReplayOptions.allowsEmpty\n\(report)"
        }
        return "replay of \(path) diverged from the recording (\(report.divergences.count) connection(s)); " +
            "fix the app, or if the change is intended record a new trace or add a rule (docs/replay.md)\n\(report)"
    }
}

/// Replays the trace at `path` against the app `app` builds and throws ``ReplayFailure`` on any
/// divergence, or when nothing was compared (``ReplayError`` when the trace or rules cannot be
/// read). Returns the report.
///
/// ```swift
/// try assertReplays("traces/sim-3rooms.ptrace.zst", app: { ConferenceApp(context: $0) })
/// ```
@discardableResult
public func assertReplays(_ path: String, app: (EngineContext) -> any ProtooApp,
                          options: ReplayOptions = ReplayOptions()) throws -> ReplayReport {
    let report = try Replayer(path: path, options: options, app: app).run()
    guard report.passed else { throw ReplayFailure(path: path, report: report) }
    return report
}
