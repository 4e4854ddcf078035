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
