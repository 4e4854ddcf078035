import Synchronization

/// A running scenario load's counts so far, for a progress line (any thread).
public final class ScenarioLoadProgress: Sendable {
    public struct Snapshot: Sendable {
        public var connections = 0
        public var requests = 0
        public var breaks = 0
    }

    private let state = Mutex(Snapshot())
    public init() {}

    public var snapshot: Snapshot { state.withLock { $0 } }

    func add(requests: Int, connections: Int, breaks: Int) {
        state.withLock {
            $0.requests += requests
            $0.connections += connections
            $0.breaks += breaks
        }
    }
}

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
