import Synchronization

extension VirtualScheduler {
    /// Slots hold the actions; a freed slot is reused and `generation` makes stale handles harmless.
    /// Handles keep the table (not the scheduler) alive, so cancelling after the scheduler is gone
    /// is safe, and no weak reference (with its slow side-table counting) is needed.
    ///
    /// Storage is managed by hand (like the heap below): every event touches it several times, and
    /// arrays in class properties cost a dynamic exclusivity check and a uniqueness check per access.
    /// Its properties skip the dynamic exclusivity check: no access to one of them calls out
    /// (counted with the scheduler's in its figure, `VirtualScheduler.swift`).
    package final class Slots: TimerCancelling {
        @exclusivity(unchecked) package private(set) var actions: UnsafeMutablePointer<Action?>
        @exclusivity(unchecked) package private(set) var generations: UnsafeMutablePointer<UInt32>
        @exclusivity(unchecked) private var free: UnsafeMutablePointer<Int32>
        @exclusivity(unchecked) private(set) var count = 0
        @exclusivity(unchecked) private var freeCount = 0
        @exclusivity(unchecked) private var capacity = 0
        /// Cancelled timers whose slot is not released yet (their heap entry has not surfaced).
        @exclusivity(unchecked) package private(set) var cancelledPending = 0

        package init() {
            capacity = 64
            actions = .allocate(capacity: capacity)
            generations = .allocate(capacity: capacity)
            free = .allocate(capacity: capacity)
        }

        deinit {
            actions.deinitialize(count: count)
            actions.deallocate()
            generations.deallocate()
            free.deallocate()
        }

        /// Stores `action` in a free slot and returns it.
        @inline(__always)
        package func take(_ action: Action) -> Int32 {
            if freeCount > 0 {
                freeCount -= 1
                let slot = free[freeCount]
                actions[Int(slot)] = action
                return slot
            }
            if count == capacity { grow() }
            (actions + count).initialize(to: action)
            (generations + count).initialize(to: 0)
            count += 1
            return Int32(count - 1)
        }

        private func grow() {
            let newCapacity = capacity * 2
            actions = actions.moved(count, toCapacity: newCapacity)
            generations = generations.moved(count, toCapacity: newCapacity)
            free = free.moved(freeCount, toCapacity: newCapacity)
            capacity = newCapacity
        }

        /// Empties `slot` and returns what it held; the slot becomes free and old handles stale.
        @inline(__always)
        package func release(_ slot: Int32) -> Action? {
            let i = Int(slot)
            let action = actions[i].take()
            if action == nil { cancelledPending -= 1 }
            generations[i] &+= 1
            free[freeCount] = slot
            freeCount += 1
            return action
        }

        package func cancelTimer(slot: Int32, generation: UInt32) {
            let i = Int(slot)
            guard i < count, generations[i] == generation else { return }
            // Moved out before it is released: its deinit may schedule or cancel.
            guard let cancelled = actions[i].take() else { return }
            cancelledPending += 1
            _ = cancelled
        }

        /// Drops every pending action (breaks cycles action → peer → handle → slots).
        package func clear() {
            for i in 0..<count {
                let dropped = actions[i].take()
                _ = dropped
            }
        }
    }
}
