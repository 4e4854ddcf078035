import NIOCore
import Synchronization

/// Stops a running live replay or trace load from another thread (a SIGINT handler): every
/// session is cut where it got and the report says what was measured up to there.
public final class LiveRunControl: Sendable {
    private struct State {
        var stopped = false
        var cuts: [(loop: any EventLoop, cut: NIOLoopBound<() -> Void>)] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// `true` once ``stop()`` was called.
    public var isStopped: Bool { state.withLock { $0.stopped } }

    /// Cuts every running session (and starts no new one).
    public func stop() {
        let cuts = state.withLock { state -> [(loop: any EventLoop, cut: NIOLoopBound<() -> Void>)] in
            state.stopped = true
            defer { state.cuts = [] }
            return state.cuts
        }
        for entry in cuts { entry.loop.execute { entry.cut.value() } }
    }

    /// Registers a session's cut, on its loop. Called after ``stop()``, it cuts at once (on a later turn).
    func register(loop: any EventLoop, _ cut: @escaping () -> Void) {
        let bound = NIOLoopBound(cut, eventLoop: loop)
        let stopped = state.withLock { state -> Bool in
            if !state.stopped { state.cuts.append((loop, bound)) }
            return state.stopped
        }
        if stopped { loop.execute { bound.value() } }
    }
}
