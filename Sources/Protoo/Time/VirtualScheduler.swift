import HeapModule

/// A deterministic scheduler on virtual time: an event-jump loop over a heap of timers.
///
/// Nothing moves until you drive it. ``run(until:)`` runs every due action in a total order
/// (deadline, then tie-break, then insertion sequence) and jumps straight to the next deadline;
/// there is no tick. Cancellation is lazy: a cancelled entry is skipped when it surfaces, so both
/// scheduling and cancelling stay O(log n) whatever the number of pending timers.
///
/// With a `shuffleSeed`, actions due at the same instant run in a seeded random order instead of
/// insertion order, to explore races; the same seed gives the same order.
public final class VirtualScheduler: Scheduler {
    struct Entry: Comparable {
        var deadline: Int64
        var tieBreak: UInt64
        var sequence: UInt64
        var slot: Int32
        static func < (a: Entry, b: Entry) -> Bool {
            if a.deadline != b.deadline { return a.deadline < b.deadline }
            if a.tieBreak != b.tieBreak { return a.tieBreak < b.tieBreak }
            return a.sequence < b.sequence
        }
        static func == (a: Entry, b: Entry) -> Bool { a.sequence == b.sequence }
    }

    enum Action {
        case closure(() -> Void)
        case target(any TimerTarget, Int)
    }

    /// Slots hold the actions; a freed slot is reused and `generation` makes stale handles harmless.
    /// Handles keep the table (not the scheduler) alive, so cancelling after the scheduler is gone
    /// is safe, and no weak reference (with its slow side-table counting) is needed.
    final class Slots: TimerCancelling {
        var actions: [Action?] = []
        var generations: [UInt32] = []
        var free: [Int32] = []

        func cancelTimer(slot: Int32, generation: UInt32) {
            let i = Int(slot)
            guard i < actions.count, generations[i] == generation else { return }
            actions[i] = nil
        }
    }

    private var heap = Heap<Entry>()
    private let slots = Slots()
    private var sequence: UInt64 = 0
    private var shuffle: SeededRandom?
    private var currentNanos: Int64

    /// How many actions have run so far.
    public private(set) var executedCount = 0

    public init(start: Instant = .zero, shuffleSeed: UInt64? = nil) {
        currentNanos = start.nanoseconds
        shuffle = shuffleSeed.map { SeededRandom(seed: $0) }
    }

    public var now: Instant { Instant(nanoseconds: currentNanos) }

    /// Actions scheduled and not yet run or cancelled (cancelled ones still in the heap are counted
    /// until they surface).
    public var pendingCount: Int { heap.count }

    deinit {
        // Break the cycles pending actions may form (action → peer → handle → slots).
        for i in slots.actions.indices { slots.actions[i] = nil }
    }

    @discardableResult
    public func schedule(at deadline: Instant, _ action: @escaping () -> Void) -> TimerHandle {
        insert(.closure(action), at: deadline)
    }

    /// Schedules `target.timerFired(tag)`: like ``schedule(at:_:)`` without allocating a closure.
    /// The scheduler holds `target` until it fires or is cancelled.
    @discardableResult
    public func schedule(at deadline: Instant, target: any TimerTarget, tag: Int) -> TimerHandle {
        insert(.target(target, tag), at: deadline)
    }

    private func insert(_ action: Action, at deadline: Instant) -> TimerHandle {
        let slot: Int32
        if let free = slots.free.popLast() {
            slot = free
            slots.actions[Int(slot)] = action
        } else {
            slot = Int32(slots.actions.count)
            slots.actions.append(action)
            slots.generations.append(0)
        }
        sequence &+= 1
        let tie = shuffle?.next() ?? 0
        heap.insert(Entry(deadline: max(deadline.nanoseconds, currentNanos), tieBreak: tie, sequence: sequence, slot: slot))
        return TimerHandle(canceller: slots, slot: slot, generation: slots.generations[Int(slot)])
    }

    public func enqueue(_ action: @escaping () -> Void) {
        schedule(at: now, action)
    }

    private func release(slot: Int32) {
        let i = Int(slot)
        slots.actions[i] = nil
        slots.generations[i] &+= 1
        slots.free.append(slot)
    }

    /// Runs the earliest pending action, moving time to its deadline. Returns `false` when idle.
    @discardableResult
    public func step() -> Bool {
        while let entry = heap.popMin() {
            let action = slots.actions[Int(entry.slot)]
            release(slot: entry.slot)
            guard let action else { continue }  // cancelled
            currentNanos = entry.deadline
            executedCount += 1
            switch action {
            case .closure(let body): body()
            case .target(let target, let tag): target.timerFired(tag)
            }
            return true
        }
        return false
    }

    /// The deadline of the earliest pending (non-cancelled) action.
    public var nextDeadline: Instant? {
        while let top = heap.min {
            if slots.actions[Int(top.slot)] != nil { return Instant(nanoseconds: top.deadline) }
            _ = heap.popMin()
            release(slot: top.slot)
        }
        return nil
    }

    /// Runs every action due up to `deadline` (inclusive), then sets the clock to `deadline`.
    public func run(until deadline: Instant) {
        while let next = nextDeadline, next <= deadline {
            step()
        }
        if deadline.nanoseconds > currentNanos { currentNanos = deadline.nanoseconds }
    }

    /// Advances the clock by `duration`, running everything that falls due on the way.
    public func advance(by duration: Duration) {
        run(until: now + duration)
    }

    /// Runs until nothing is pending, or until `limit` actions have run. Returns the number run.
    @discardableResult
    public func runUntilIdle(limit: Int = .max) -> Int {
        var count = 0
        while count < limit, step() { count += 1 }
        return count
    }
}
