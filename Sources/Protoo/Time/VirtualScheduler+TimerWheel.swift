import Synchronization

extension VirtualScheduler {
    /// Timers due later than the near heap's, in buckets of 2^27 ns (≈ 134 ms) by deadline: a
    /// circle of 1,024 buckets (≈ 137 s ahead). Adding one is an append, whatever the number of
    /// pending timers; a bucket's timers move into the near heap together, before the first of them
    /// is due (see ``VirtualScheduler/earliest()``), so the order stays the near heap's exact one.
    package struct TimerWheel {
        static let shift: Int64 = 27
        static let width: Int64 = 1 << shift
        static let bucketCount = 1_024
        static let span: Int64 = width * Int64(bucketCount)
        /// Entries live in one pool; each bucket is a list through `next` (-1 ends it), and freed
        /// nodes form a free list: no allocation per bucket, and a burst's room is reused.
        private var entries: UnsafeMutablePointer<Entry>
        private var next: UnsafeMutablePointer<Int32>
        private var heads: UnsafeMutablePointer<Int32>
        private var capacity = 256
        private var used = 0
        private var freeHead: Int32 = -1
        package private(set) var count = 0

        package init() {
            entries = .allocate(capacity: capacity)
            next = .allocate(capacity: capacity)
            heads = .allocate(capacity: Self.bucketCount)
            heads.initialize(repeating: -1, count: Self.bucketCount)
        }

        package func deallocate() {
            entries.deallocate()
            next.deallocate()
            heads.deallocate()
        }

        @inline(__always)
        private static func index(_ deadline: Int64) -> Int { Int(truncatingIfNeeded: deadline >> shift) & (bucketCount - 1) }

        @inline(__always)
        package mutating func insert(_ e: Entry) {
            let node: Int32
            if freeHead >= 0 {
                node = freeHead
                freeHead = next[Int(node)]
            } else {
                if used == capacity { grow() }
                node = Int32(used)
                used += 1
            }
            let b = Self.index(e.deadline)
            (entries + Int(node)).initialize(to: e)
            next[Int(node)] = heads[b]
            heads[b] = node
            count += 1
        }

        private mutating func grow() {
            let newCapacity = capacity * 2
            entries = entries.moved(used, toCapacity: newCapacity)
            next = next.moved(used, toCapacity: newCapacity)
            capacity = newCapacity
        }

        /// Moves the bucket starting at `start` (a multiple of ``width``) into `heap` (in any
        /// order: the heap orders them).
        package mutating func open(_ start: Int64, into heap: inout EntryHeap) {
            let b = Self.index(start)
            var node = heads[b]
            heads[b] = -1
            while node >= 0 {
                let i = Int(node)
                heap.insert(entries[i])
                let following = next[i]
                next[i] = freeHead
                freeHead = node
                count -= 1
                node = following
            }
        }

        /// Drops every entry whose timer was cancelled, freeing its slot.
        package mutating func dropCancelled(in slots: Slots) {
            for b in 0..<Self.bucketCount where heads[b] >= 0 {
                var previous: Int32 = -1
                var node = heads[b]
                while node >= 0 {
                    let i = Int(node)
                    let following = next[i]
                    if slots.actions[Int(entries[i].slot)] == nil {
                        _ = slots.release(entries[i].slot)
                        if previous >= 0 { next[Int(previous)] = following } else { heads[b] = following }
                        next[i] = freeHead
                        freeHead = node
                        count -= 1
                    } else {
                        previous = node
                    }
                    node = following
                }
            }
        }
    }
}
