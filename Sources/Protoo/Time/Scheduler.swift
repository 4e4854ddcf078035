/// The engine's only source of time and deferred work.
///
/// Everything the engine does runs on one serial context that owns a `Scheduler`: a NIO event loop
/// in production, a ``VirtualScheduler`` in tests and simulation. Engine objects are not `Sendable`:
/// touch them only from callbacks this scheduler runs.
public protocol Scheduler: AnyObject {
    /// The current time on this scheduler's clock.
    var now: Instant { get }

    /// Runs `action` once `deadline` is reached, after everything already due at that instant.
    @discardableResult
    func schedule(at deadline: Instant, _ action: @escaping () -> Void) -> TimerHandle

    /// Runs `action` soon, after the current callback returns (never synchronously).
    func enqueue(_ action: @escaping () -> Void)
}

extension Scheduler {
    /// Runs `action` after `delay`.
    @discardableResult
    public func schedule(after delay: Duration, _ action: @escaping () -> Void) -> TimerHandle {
        schedule(at: now + delay, action)
    }
}

/// Cancels a scheduled action. Cancelling twice, or after it ran, does nothing.
public struct TimerHandle {
    let cancelAction: (() -> Void)?

    public init(cancel: @escaping () -> Void) { cancelAction = cancel }
    init() { cancelAction = nil }

    public func cancel() { cancelAction?() }
}
