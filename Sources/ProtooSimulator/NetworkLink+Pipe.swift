extension NetworkLink {
    /// One direction of the link: the latest scheduled delivery (FIFO), when the sender's pipe is
    /// free (bandwidth), the payloads in flight in delivery order (their times never decrease), and
    /// whether a wake-up is scheduled for the head. One timer per direction at a time: no closure
    /// per message. Stored inline in the link, with a hand-managed ring of (time, payload) and a
    /// byte queue for the messages' text: a message touches the link and its two buffers, not
    /// more objects (fewer cache misses when there are many peers and little of them fits in the
    /// cache: +10 % events/s at 10,000).
    struct Pipe {
        typealias Slot = (time: Int64, payload: Payload)
        var lastDelivery: Int64 = 0
        var busyUntil: Int64 = 0
        var wakeScheduled = false
        /// Allocated by the first `append` (so non-`nil` whenever `count > 0`); `bytes` likewise
        /// by the first `makeRoom`, before any byte is queued: the force unwraps below rest on it.
        private var ring: UnsafeMutablePointer<Slot>?
        private var head = 0
        private var count = 0
        private var capacity = 0
        /// The bytes of the messages in flight, in order, in `bytes[byteStart..<byteEnd]`: a
        /// message crosses the link as bytes, copied once in and read in place on delivery (no
        /// `String`, no allocation per message once the buffer has grown to the traffic).
        private var bytes: UnsafeMutablePointer<UInt8>?
        private var byteStart = 0
        private var byteEnd = 0
        private var byteCapacity = 0
        /// The buffer an idle pipe keeps (larger ones are freed once empty).
        static let keptBytes = 256
        /// Set while a message is handed over from `bytes`: the buffer must not move meanwhile.
        private var delivering = false
        /// A buffer replaced during a delivery, freed once it ends.
        private var retired: UnsafeMutablePointer<UInt8>?

        /// Frees what is still in flight (the owner calls it once, from its `deinit`).
        mutating func destroy() {
            while count > 0 { _ = popFirst() }
            ring?.deallocate()
            ring = nil
            bytes?.deallocate()
            bytes = nil
            retired?.deallocate()
            retired = nil
        }

        /// Queues a message's bytes (its slot is appended with ``append(_:_:)``).
        mutating func appendBytes(_ utf8: UnsafeRawBufferPointer) {
            let n = utf8.count
            if byteEnd + n > byteCapacity { makeRoom(for: n) }
            if n > 0 { UnsafeMutableRawPointer(bytes! + byteEnd).copyMemory(from: utf8.baseAddress!, byteCount: n) }
            byteEnd += n
        }

        /// Moves the queued bytes to the front, or to a bigger buffer. During a delivery the bytes
        /// being read stay where they are: the queue moves to a new buffer and the old one waits.
        private mutating func makeRoom(for n: Int) {
            let live = byteEnd - byteStart
            if !delivering, byteStart > 0, live + n <= byteCapacity {
                if live > 0 { UnsafeMutableRawPointer(bytes!).copyMemory(from: bytes! + byteStart, byteCount: live) }
            } else {
                var newCapacity = max(Self.keptBytes, byteCapacity)
                while newCapacity < live + n { newCapacity *= 2 }
                let b = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
                if live > 0 { UnsafeMutableRawPointer(b).copyMemory(from: bytes! + byteStart, byteCount: live) }
                if delivering, retired == nil { retired = bytes } else { bytes?.deallocate() }
                bytes = b
                byteCapacity = newCapacity
            }
            byteStart = 0
            byteEnd = live
        }

        /// The first `n` queued bytes, readable until ``endDelivery(_:)``.
        mutating func beginDelivery(_ n: Int) -> UnsafeRawBufferPointer {
            delivering = true
            return UnsafeRawBufferPointer(start: bytes.map { UnsafeRawPointer($0 + byteStart) }, count: n)
        }

        /// Drops the `n` bytes just delivered. An emptied queue starts over at the front, and gives
        /// back a buffer grown past ``keptBytes`` by a burst (the join's big requests): what stays is
        /// what steady traffic needs, a few hundred bytes per direction.
        mutating func endDelivery(_ n: Int) {
            delivering = false
            if let r = retired {
                r.deallocate()
                retired = nil
            }
            byteStart += n
            if byteStart == byteEnd {
                byteStart = 0
                byteEnd = 0
                if byteCapacity > Self.keptBytes {
                    bytes?.deallocate()
                    bytes = nil
                    byteCapacity = 0
                }
            }
        }

        /// The delivery time of the first payload in flight.
        var firstTime: Int64? { count > 0 ? ring![head].time : nil }

        /// Takes the payload (consumed: stored without another retain).
        mutating func append(_ at: Int64, _ payload: consuming Payload) {
            if count == capacity { grow() }
            var i = head + count
            if i >= capacity { i -= capacity }
            (ring! + i).initialize(to: (at, payload))
            count += 1
        }

        mutating func popFirst() -> Payload {
            let slot = (ring! + head).move()
            head += 1
            if head == capacity { head = 0 }
            count -= 1
            return slot.payload
        }

        private mutating func grow() {
            let newCapacity = max(4, capacity * 2)
            let r = UnsafeMutablePointer<Slot>.allocate(capacity: newCapacity)
            for k in 0..<count {
                var i = head + k
                if i >= capacity { i -= capacity }
                (r + k).moveInitialize(from: ring! + i, count: 1)
            }
            ring?.deallocate()
            ring = r
            head = 0
            capacity = newCapacity
        }
    }
}
