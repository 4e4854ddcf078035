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

    private var heap = Heap<Entry>()
    // Slots hold the actions; a freed slot is reused. `generation` makes stale handles harmless.
    private var actions: [(() -> Void)?] = []
    private var generations: [UInt32] = []
    private var freeSlots: [Int32] = []
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

    @discardableResult
    public func schedule(at deadline: Instant, _ action: @escaping () -> Void) -> TimerHandle {
        let slot: Int32
        if let free = freeSlots.popLast() {
            slot = free
            actions[Int(slot)] = action
        } else {
            slot = Int32(actions.count)
            actions.append(action)
            generations.append(0)
        }
        sequence &+= 1
        let tie = shuffle?.next() ?? 0
        heap.insert(Entry(deadline: max(deadline.nanoseconds, currentNanos), tieBreak: tie, sequence: sequence, slot: slot))
        let generation = generations[Int(slot)]
        // `unowned`: a weak reference would give the scheduler a side table and slow every retain.
        return TimerHandle { [unowned self] in self.cancel(slot: slot, generation: generation) }
    }

    public func enqueue(_ action: @escaping () -> Void) {
        schedule(at: now, action)
    }

    private func cancel(slot: Int32, generation: UInt32) {
        let i = Int(slot)
        guard generations[i] == generation, actions[i] != nil else { return }
        actions[i] = nil
    }

    private func release(slot: Int32) {
        let i = Int(slot)
        actions[i] = nil
        generations[i] &+= 1
        freeSlots.append(slot)
    }

    /// Runs the earliest pending action, moving time to its deadline. Returns `false` when idle.
    @discardableResult
    public func step() -> Bool {
        while let entry = heap.popMin() {
            let action = actions[Int(entry.slot)]
            release(slot: entry.slot)
            guard let action else { continue }  // cancelled
            currentNanos = entry.deadline
            executedCount += 1
            action()
            return true
        }
        return false
    }

    /// The deadline of the earliest pending (non-cancelled) action.
    public var nextDeadline: Instant? {
        while let top = heap.min {
            if actions[Int(top.slot)] != nil { return Instant(nanoseconds: top.deadline) }
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
