#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A deterministic scheduler on virtual time: an event-jump loop over a heap of timers (and a
/// wheel that feeds it the later ones).
///
/// Nothing moves until you drive it. ``run(until:)`` runs every due action in a total order
/// (deadline, then tie-break, then insertion sequence) and jumps straight to the next deadline;
/// there is no tick. Cancellation is lazy: a cancelled entry is skipped when it surfaces, so
/// scheduling and cancelling stay O(log n) in the timers due soon, whatever the number pending.
///
/// With a `shuffleSeed`, actions due at the same instant run in a seeded random order instead of
/// insertion order, to explore races; the same seed gives the same order.
public final class VirtualScheduler: Scheduler {
    /// A heap entry. The order is (deadline, tie-break, sequence); the first two are packed in
    /// one 128-bit key, so the heap compares entries without a data-dependent branch (the
    /// sequence only decides between equal keys, which happen only with a shuffle seed).
    package struct Entry: Comparable {
        /// Deadline (sign bit flipped, so it orders as unsigned) in the high half, tie-break in
        /// the low half; without a shuffle seed the tie-break is the sequence itself.
        package var key: UInt128
        package var sequence: UInt64
        package var slot: Int32
        package init(deadline: Int64, tieBreak: UInt64, sequence: UInt64, slot: Int32) {
            key = UInt128(UInt64(bitPattern: deadline) ^ (1 << 63)) << 64 | UInt128(tieBreak)
            self.sequence = sequence
            self.slot = slot
        }
        package var deadline: Int64 { Int64(bitPattern: UInt64(truncatingIfNeeded: key >> 64) ^ (1 << 63)) }
        @inline(__always)
        package static func < (a: Entry, b: Entry) -> Bool {
            a.key == b.key ? a.sequence < b.sequence : a.key < b.key
        }
        package static func == (a: Entry, b: Entry) -> Bool { a.sequence == b.sequence }
    }

    package enum Action {
        case closure(() -> Void)
        case target(any TimerTarget, Int)

        /// Runs the action. Consumed: the payload is used in place, without a copy (a retain and
        /// a release per timer).
        @inline(__always)
        package consuming func run() {
            switch consume self {
            case .closure(let body): body()
            case .target(let target, let tag): target.timerFired(tag)
            }
        }
    }

    // Unchecked exclusivity: these are touched by every event, and no access to one of them
    // can overlap another (none calls out while it is in progress). Measured with `protoo simulate --rooms 100 --peers-per-room 10 --duration 300s`
    // (1,000 peers), perf of the build with the checks: the scheduler's were 2.5 % of its CPU.
    /// Pending entries in three places: `near`, a heap, holds those due within ``nearHorizon`` of
    /// when they were scheduled (network deliveries, immediate work) and everything due before
    /// `openedUntil`; the `wheel` the later ones (request timeouts, periodic and user timers) in
    /// buckets of ≈ 134 ms, ≈ 137 s ahead; the `far` heap the rest. Most events go through the
    /// small `near` heap, a few levels deep, and a later timer costs an append, instead of a sift
    /// through every pending timer (tens of thousands at 10,000 simulated peers). Where an entry
    /// waits never changes the order: everything runs from `near`, which a bucket joins before its
    /// first timer is due.
    @exclusivity(unchecked) private var near = EntryHeap()
    /// Timers due later: the wheel holds those within its span (≈ 137 s) of `openedUntil`, the
    /// `far` heap the rest (a run's end, long idle timeouts).
    @exclusivity(unchecked) private var wheel = TimerWheel()
    @exclusivity(unchecked) private var far = EntryHeap()
    /// Every pending entry due before this instant (a multiple of the wheel's bucket width) is in
    /// `near`: the wheel's buckets up to here have been opened.
    @exclusivity(unchecked) private var openedUntil: Int64
    /// 100 ms: a simulated network delivery is scheduled closer than this.
    private static let nearHorizon: Int64 = 100_000_000
    private let slots = Slots()
    @exclusivity(unchecked) private var sequence: UInt64 = 0
    @exclusivity(unchecked) private var shuffle: SeededRandom?
    @exclusivity(unchecked) private var currentNanos: Int64

    /// How many actions have run so far.
    @exclusivity(unchecked) public private(set) var executedCount = 0

    /// The thread that drives this scheduler (its creator until ``adoptCurrentThread()``).
    private var owner: pthread_t
    /// Work handed over from other threads, run at the current virtual instant by the next step.
    private let inbox = Inbox()

    public init(start: Instant = .zero, shuffleSeed: UInt64? = nil) {
        currentNanos = start.nanoseconds
        owner = pthread_self()
        openedUntil = Self.bucketStart(start.nanoseconds)
        shuffle = shuffleSeed.map { SeededRandom(seed: $0) }
    }

    public var now: Instant { Instant(nanoseconds: currentNanos) }

    /// Actions scheduled and not yet run or cancelled (cancelled ones still in the heap are counted
    /// until they surface).
    public var pendingCount: Int { near.count + wheel.count + far.count }

    deinit {
        // Break the cycles pending actions may form (action → peer → handle → slots).
        slots.clear()
        near.deallocate()
        wheel.deallocate()
        far.deallocate()
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

    /// Like ``schedule(at:target:tag:)`` for a timer that is never cancelled: no handle is made
    /// (a handle holds the slot table, a retain and a release per timer).
    public func post(at deadline: Instant, target: any TimerTarget, tag: Int) {
        _ = place(.target(target, tag), at: deadline)
    }

    private func insert(_ action: Action, at deadline: Instant) -> TimerHandle {
        let slot = place(action, at: deadline)
        // Cancelled entries wait in the heap until they surface (a request's timeout, say, 30 s
        // after its answer). Once they outnumber the live ones (plus some slack), drop them all:
        // amortized O(1) per cancellation, and the heap stays the size of what is pending. The
        // order of the live entries is total, so compaction never changes what runs when.
        if slots.cancelledPending > pendingCount / 2 + 1024 {
            near.dropCancelled(in: slots)
            wheel.dropCancelled(in: slots)
            far.dropCancelled(in: slots)
        }
        return TimerHandle(canceller: slots, slot: slot, generation: slots.generations[Int(slot)])
    }

    @inline(__always)
    private func place(_ action: Action, at deadline: Instant) -> Int32 {
        let slot = slots.take(action)
        sequence &+= 1
        // Without a shuffle the sequence breaks ties: same order as a zero tie-break, one compare.
        let tie = shuffle?.next() ?? sequence
        let at = max(deadline.nanoseconds, currentNanos)
        let entry = Entry(deadline: at, tieBreak: tie, sequence: sequence, slot: slot)
        if at < openedUntil || at &- currentNanos < Self.nearHorizon {
            near.insert(entry)
        } else if at &- openedUntil < TimerWheel.span {
            wheel.insert(entry)
        } else {
            far.insert(entry)
        }
        return slot
    }

    public func enqueue(_ action: @escaping () -> Void) {
        // Never cancelled: no handle (a handle holds the slot table, a retain and a release).
        _ = place(.closure(action), at: now)
    }

    /// Makes the calling thread the one that drives this scheduler (a simulation run on a worker
    /// thread calls this before stepping).
    public func adoptCurrentThread() { owner = pthread_self() }

    public var isCurrentThread: Bool { pthread_equal(owner, pthread_self()) != 0 }

    /// Hands `action` to the driving thread: it runs at the virtual instant of the next step.
    /// Where it lands in the order depends on real time, so a simulation reports such work rather
    /// than rely on it (see ``EngineExecutor``).
    public func enqueueFromAnyThread(_ action: @escaping @Sendable () -> Void) {
        if isCurrentThread { return enqueue(action) }
        inbox.actions.withLock { $0.append(action) }
        inbox.waiting.add(1, ordering: .releasing)
    }

    /// Whether other threads have handed over work not yet taken.
    public var hasForeignWork: Bool { inbox.waiting.load(ordering: .relaxed) != 0 }

    /// Moves work handed over by other threads into the timer order, at the current instant.
    private func takeForeignWork() {
        let taken = inbox.actions.withLock { actions in
            defer { actions.removeAll() }
            return actions
        }
        inbox.waiting.subtract(taken.count, ordering: .acquiring)
        for action in taken { enqueue(action) }
    }


    /// Runs the earliest pending action, moving time to its deadline. Returns `false` when idle.
    @discardableResult
    public func step() -> Bool {
        step(through: Instant(nanoseconds: .max))
    }

    /// Runs the earliest pending action if it is due by `deadline` (inclusive), moving time to its
    /// deadline; returns `false`, leaving time alone, when nothing is. One look at the heap per
    /// event, where ``nextDeadline`` then ``step()`` take two.
    @discardableResult
    public func step(through deadline: Instant) -> Bool {
        let limit = deadline.nanoseconds
        if inbox.waiting.load(ordering: .relaxed) != 0 { takeForeignWork() }
        while let top = popMin(through: limit) {
            guard let action = slots.release(top.slot) else { continue }  // cancelled
            currentNanos = top.deadline
            executedCount += 1
            action.run()
            return true
        }
        return false
    }

    /// The deadline of the earliest pending (non-cancelled) action.
    public var nextDeadline: Instant? {
        while let top = earliest() {
            if slots.actions[Int(top.slot)] != nil { return Instant(nanoseconds: top.deadline) }
            _ = near.popMin()
            _ = slots.release(top.slot)
        }
        return nil
    }

    /// The earliest pending entry, which is always in `near`: when near's top is not due before
    /// `openedUntil`, something in the wheel or the far heap may come first, so buckets are opened
    /// (and far timers brought over) until it is.
    @inline(__always)
    private func earliest() -> Entry? {
        if let n = near.min, n.deadline < openedUntil { return n }
        return openBuckets()
    }

    private func openBuckets() -> Entry? {
        while true {
            if let n = near.min, n.deadline < openedUntil { return n }
            if wheel.count == 0 {
                guard let f = far.min else {
                    // Only `near` holds anything: move the boundary past its top.
                    guard let n = near.min else { return nil }
                    openedUntil = Self.bucketStart(n.deadline) &+ TimerWheel.width
                    return n
                }
                // An empty wheel: skip the empty buckets up to what comes next.
                let next = near.min.map { Swift.min($0.deadline, f.deadline) } ?? f.deadline
                openedUntil = Swift.max(openedUntil, Self.bucketStart(next))
            }
            wheel.open(openedUntil, into: &near)
            openedUntil &+= TimerWheel.width
            while let f = far.min, f.deadline < openedUntil {
                near.insert(f)
                _ = far.popMin()
            }
        }
    }

    @inline(__always)
    private static func bucketStart(_ t: Int64) -> Int64 { (t >> TimerWheel.shift) << TimerWheel.shift }

    /// Removes and returns the earliest entry if it is due by `limit`.
    @inline(__always)
    private func popMin(through limit: Int64) -> Entry? {
        guard let top = earliest(), top.deadline <= limit else { return nil }
        _ = near.popMin()
        return top
    }

    /// Runs every action due up to `deadline` (inclusive), then sets the clock to `deadline`.
    public func run(until deadline: Instant) {
        while step(through: deadline) {}
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

extension UnsafeMutablePointer {
    /// A new allocation of `capacity` with this one's first `count` elements moved into it; this
    /// one is freed (the scheduler's hand-managed storage grows this way).
    @inline(__always)
    func moved(_ count: Int, toCapacity capacity: Int) -> UnsafeMutablePointer<Pointee> {
        let grown = UnsafeMutablePointer<Pointee>.allocate(capacity: capacity)
        grown.moveInitialize(from: self, count: count)
        deallocate()
        return grown
    }
}
