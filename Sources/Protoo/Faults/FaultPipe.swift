/// One direction of a connection while injected faults (latency, jitter, clogs) hold messages
/// back: what waits, in order, each with the instant it is due. The close that ends the direction
/// waits behind the messages sent before it, as on TCP. The proxy's relays and the load tool's
/// faulty client links both queue through it.
package struct FaultPipe {
    package enum Item {
        case message(String)
        /// Close the receiving side with this code and reason.
        case close(code: UInt16, reason: String)
        /// Drop the receiving side without a close frame.
        case abort
    }

    private var items: [(due: Instant, item: Item)] = []
    private var head = 0
    /// The latest due instant queued: a later message is never due before it (FIFO).
    private var lastDue = Instant.zero
    /// Nothing is delivered before this instant (a clog).
    package var heldUntil = Instant.zero
    /// The timer armed for the head, and the instant it fires.
    package var timer: TimerHandle?
    package var timerAt: Instant?

    package var isEmpty: Bool { head == items.count }

    /// Whether an item sent now with no delay of its own may skip the queue.
    package func isClear(at now: Instant) -> Bool { isEmpty && heldUntil <= now }

    /// Queues `item`, due `delay` from `now` but not before what is queued already.
    package mutating func append(_ item: Item, now: Instant, delay: Duration) {
        let due = max(now + delay, lastDue)
        lastDue = due
        items.append((due, item))
    }

    /// When the head may go: its due instant, or the clog's end if later.
    package var nextDelivery: Instant? {
        guard !isEmpty else { return nil }
        return max(items[head].due, heldUntil)
    }

    /// Takes the head if it may go at `now`.
    package mutating func popDue(at now: Instant) -> Item? {
        guard let at = nextDelivery, at <= now else { return nil }
        let item = items[head].item
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 64, head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
        return item
    }

    package init() {}

    /// Forgets everything queued and the timer.
    package mutating func clear() {
        items.removeAll()
        head = 0
        timer?.cancel()
        timer = nil
        timerAt = nil
    }
}
