import Synchronization

extension VirtualScheduler {
    /// A binary min-heap of entries in manually managed storage (entries are plain data).
    package struct EntryHeap {
        package private(set) var base: UnsafeMutablePointer<Entry>
        package private(set) var count = 0
        private var capacity: Int

        package init() {
            capacity = 256
            base = .allocate(capacity: capacity)
        }

        package func deallocate() { base.deallocate() }

        package var min: Entry? { count > 0 ? base[0] : nil }

        /// Drops every entry whose timer was cancelled, freeing its slot, then restores the heap
        /// order (O(n)). The pop order of the survivors is unchanged: the order is total.
        package mutating func dropCancelled(in slots: Slots) {
            var kept = 0
            for i in 0..<count {
                let entry = base[i]
                if slots.actions[Int(entry.slot)] != nil {
                    base[kept] = entry
                    kept += 1
                } else {
                    _ = slots.release(entry.slot)
                }
            }
            count = kept
            var i = count / 2 - 1
            while i >= 0 {
                put(base[i], at: i)
                i -= 1
            }
        }

        /// Puts `e` at `start` and restores the heap below it, Floyd's way: the hole moves down to
        /// a leaf along the smaller children (one branch-free comparison per level, no early exit
        /// to mispredict), then `e` sifts up from there, never above `start` (rarely more than a
        /// step when `e` came from the bottom, as in ``popMin()``).
        @inline(__always)
        private mutating func put(_ e: Entry, at start: Int) {
            var i = start
            while true {
                var child = 2 * i + 1
                if child >= count { break }
                if child + 1 < count { child &+= base[child + 1] < base[child] ? 1 : 0 }
                base[i] = base[child]
                i = child
            }
            siftUp(e, from: i, notAbove: start)
        }

        /// Fills the hole at `hole` with `e`, moving it up past larger parents, not above `start`.
        @inline(__always)
        private mutating func siftUp(_ e: Entry, from hole: Int, notAbove start: Int) {
            var i = hole
            while i > start {
                let parent = (i - 1) >> 1
                let p = base[parent]
                guard e < p else { break }
                base[i] = p
                i = parent
            }
            base[i] = e
        }

        @inline(__always)
        package mutating func insert(_ e: Entry) {
            if count == capacity {
                let newCapacity = capacity * 2
                base = base.moved(count, toCapacity: newCapacity)
                capacity = newCapacity
            }
            count += 1
            siftUp(e, from: count - 1, notAbove: 0)
        }

        /// Removes the earliest entry (the last one takes its place, see ``put(_:at:)``).
        @inline(__always)
        package mutating func popMin() -> Entry? {
            guard count > 0 else { return nil }
            let top = base[0]
            count -= 1
            if count > 0 { put(base[count], at: 0) }
            return top
        }
    }
}
