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

    /// Calls `target.timerFired(tag)` once `deadline` is reached, like ``schedule(at:_:)``; the
    /// scheduler holds `target` until then or until cancelled. A ``VirtualScheduler`` allocates
    /// nothing per timer this way; the default wraps the call in a closure.
    @discardableResult
    func schedule(at deadline: Instant, target: any TimerTarget, tag: Int) -> TimerHandle

    /// Whether the calling thread is the one this scheduler runs its actions on (only there may
    /// engine objects be touched).
    var isCurrentThread: Bool { get }

    /// Runs `action` on this scheduler soon; callable from any thread (the engine's way back from
    /// another thread, see ``EngineContext/callback(_:)``).
    func enqueueFromAnyThread(_ action: @escaping @Sendable () -> Void)
}

extension Scheduler {
    /// A scheduler that does not say which thread it runs on is taken to be driven by its caller.
    public var isCurrentThread: Bool { true }

    /// Without a thread-safe queue of its own, a scheduler accepts work only from its own thread.
    public func enqueueFromAnyThread(_ action: @escaping @Sendable () -> Void) {
        precondition(isCurrentThread, "\(type(of: self)) cannot take work from another thread")
        enqueue(action)
    }

    /// Runs `action` after `delay`.
    @discardableResult
    public func schedule(after delay: Duration, _ action: @escaping () -> Void) -> TimerHandle {
        schedule(at: now + delay, action)
    }

    @discardableResult
    public func schedule(at deadline: Instant, target: any TimerTarget, tag: Int) -> TimerHandle {
        schedule(at: deadline) { target.timerFired(tag) }
    }

    /// Calls `target.timerFired(tag)` after `delay` (see ``schedule(at:target:tag:)``).
    @discardableResult
    public func schedule(after delay: Duration, target: any TimerTarget, tag: Int) -> TimerHandle {
        schedule(at: now + delay, target: target, tag: tag)
    }
}

/// Cancels a scheduled action. Cancelling twice, or after it ran, does nothing.
public struct TimerHandle {
    private let canceller: (any TimerCancelling)?
    private let slot: Int32
    private let generation: UInt32

    /// A handle that runs `cancel` (a scheduler's own cancellation).
    public init(cancel: @escaping () -> Void) {
        canceller = ClosureCanceller(cancel)
        slot = 0
        generation = 0
    }

    /// A handle that asks `canceller` to cancel timer `slot` of `generation` (no allocation).
    package init(canceller: any TimerCancelling, slot: Int32, generation: UInt32) {
        self.canceller = canceller
        self.slot = slot
        self.generation = generation
    }

    public func cancel() { canceller?.cancelTimer(slot: slot, generation: generation) }
}

/// Something that can cancel the timers it handed out.
package protocol TimerCancelling: AnyObject {
    func cancelTimer(slot: Int32, generation: UInt32)
}

private final class ClosureCanceller: TimerCancelling {
    let action: () -> Void
    init(_ action: @escaping () -> Void) { self.action = action }
    func cancelTimer(slot: Int32, generation: UInt32) { action() }
}

/// An object a ``VirtualScheduler`` calls back with a tag, scheduled without allocating a closure.
public protocol TimerTarget: AnyObject {
    func timerFired(_ tag: Int)
}
