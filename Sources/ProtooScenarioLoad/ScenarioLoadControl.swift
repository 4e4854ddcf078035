import Synchronization

/// Stops a running scenario load early (a SIGINT): every client leaves now, and the report holds
/// what was measured up to there. Any thread.
public final class ScenarioLoadControl: Sendable {
    private let stopped = Mutex(false)
    private let stoppers = Mutex<[@Sendable () -> Void]>([])
    public init() {}

    public var isStopped: Bool { stopped.withLock { $0 } }

    public func stop() {
        stopped.withLock { $0 = true }
        for stop in stoppers.withLock({ $0 }) { stop() }
    }

    func onStop(_ stop: @escaping @Sendable () -> Void) {
        stoppers.withLock { $0.append(stop) }
        if isStopped { stop() }
    }
}
