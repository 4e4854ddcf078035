import NIOCore
import Protoo

/// The production ``Scheduler``: one NIO `EventLoop`.
///
/// `now` is monotonic time since the scheduler was created (never wall time); `enqueue` is
/// `execute`. Timers live in the scheduler's own heap, with one NIO task armed for the earliest:
/// every request the engine sends has a timeout that is almost always cancelled, and cancelling a
/// NIO scheduled task searches the loop's whole task queue (O(n) in pending tasks). Here
/// cancelling is O(1) (the entry is dropped when it surfaces), and the heap is compacted once
/// cancelled entries outnumber live ones. Create it, and call it, on its loop only.
public final class NIOEventLoopScheduler: Scheduler {
    /// The loop everything runs on.
    public let eventLoop: any EventLoop
    private let origin: NIODeadline
    private var heap = VirtualScheduler.EntryHeap()
    private let slots = VirtualScheduler.Slots()
    private var sequence: UInt64 = 0
    /// The NIO task that wakes the scheduler, and the deadline it is armed for.
    private var wake: Scheduled<Void>?
    private var wakeAt = Int64.max
    private var firing = false

    /// A scheduler whose clock starts at zero now.
    public init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
        self.origin = eventLoop.now
    }

    deinit {
        // No wake-up to cancel: an armed one holds the scheduler, so it has fired or its loop has
        // shut down (cancelling then would only log an error).
        slots.clear()
        heap.deallocate()
    }

    /// The loop's clock since the scheduler was created: `NIODeadline.now()` on a real loop,
    /// virtual time on an `EmbeddedEventLoop` (tests advance it).
    public var now: Instant {
        Instant(nanoseconds: Int64(eventLoop.now.uptimeNanoseconds &- origin.uptimeNanoseconds))
    }

    /// Timers in the heap, cancelled ones not yet dropped included (for tests).
    package var heapCount: Int { heap.count }

    @discardableResult
    public func schedule(at deadline: Instant, _ action: @escaping () -> Void) -> TimerHandle {
        let slot = slots.take(.closure(action))
        sequence &+= 1
        heap.insert(VirtualScheduler.Entry(deadline: deadline.nanoseconds, tieBreak: sequence, sequence: sequence, slot: slot))
        // Cancelled entries wait in the heap until they surface; once they outnumber the live ones
        // (plus some slack), drop them all at once: amortized O(1) per cancellation.
        if slots.cancelledPending > heap.count / 2 + 1024 { heap.dropCancelled(in: slots) }
        if deadline.nanoseconds < wakeAt, !firing { arm(deadline.nanoseconds) }
        return TimerHandle(canceller: slots, slot: slot, generation: slots.generations[Int(slot)])
    }

    public func enqueue(_ action: @escaping () -> Void) {
        let bound = NIOLoopBound(action, eventLoop: eventLoop)
        eventLoop.execute { bound.value() }
    }

    public var isCurrentThread: Bool { eventLoop.inEventLoop }

    /// `execute` on the loop (thread-safe). Work handed over once the loop has shut down is
    /// dropped by the engine's executor, which the server closes first.
    public func enqueueFromAnyThread(_ action: @escaping @Sendable () -> Void) {
        eventLoop.execute(action)
    }

    // MARK: Timers

    /// Arms the NIO task for `deadline` (re-arming only moves it earlier; a later one is re-armed
    /// after it fires).
    private func arm(_ deadline: Int64) {
        wake?.cancel()
        wakeAt = deadline
        wake = eventLoop.assumeIsolated().scheduleTask(deadline: origin + .nanoseconds(deadline)) { [self] in
            self.fire()
        }
    }

    /// Runs every timer due now, in deadline order, then arms for the next live one.
    private func fire() {
        wake = nil
        wakeAt = .max
        firing = true
        let nowNanos = now.nanoseconds
        while let top = heap.min, top.deadline <= nowNanos {
            _ = heap.popMin()
            guard let action = slots.release(top.slot) else { continue }  // cancelled
            action.run()
        }
        firing = false
        if let next = nextLiveDeadline() { arm(next) }
    }

    /// The earliest deadline of a timer not cancelled, dropping cancelled ones on top.
    private func nextLiveDeadline() -> Int64? {
        while let top = heap.min {
            if slots.actions[Int(top.slot)] != nil { return top.deadline }
            _ = heap.popMin()
            _ = slots.release(top.slot)
        }
        return nil
    }
}
