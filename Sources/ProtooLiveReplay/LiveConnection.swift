import Protoo
import ProtooReplay
import ProtooWebSocket

/// One recorded connection during a live replay: its socket, and the recorded server events it
/// still waits for. Lives on the session's event loop.
final class LiveConnection: TransportDelegate {
    enum State { case idle, dialing, open, closed }

    /// A recorded server event and whether the live server produced it yet.
    struct Slot {
        var step: Int
        var time: Int64
        var expected: LivePlan.Expected
        var summary: WireSummary?
        var matched = false
    }

    let index: Int
    let plan: LivePlan.Connection
    unowned let session: LiveSession
    var state = State.idle
    var socket: WebSocketConnection?
    var diverged = false

    /// The recorded server events of this connection, in record order.
    var slots: [Slot] = []
    /// The first slot not yet matched (everything before it is).
    var head = 0
    /// Recorded server requests: (method, ordinal among that method's) → slot.
    var recordedRequests: [String: [Int]] = [:]
    /// Live server requests seen, per method.
    var liveRequestCount: [String: Int] = [:]
    /// Recorded server request id → live id.
    var liveIDForRecorded: [RequestID: RequestID] = [:]
    /// Client requests sent and not yet answered: id → (method, sent at, ns of the wall clock).
    var pendingClientRequests: [RequestID: (method: String, sentAt: UInt64)] = [:]
    /// Recorded client request id → method (for a response's method).
    var clientMethods: [RequestID: String] = [:]

    init(index: Int, plan: LivePlan.Connection, session: LiveSession) {
        self.index = index
        self.plan = plan
        self.session = session
    }

    func addExpected(step: Int, time: Int64, _ expected: LivePlan.Expected) {
        var slot = Slot(step: step, time: time, expected: expected)
        if case .message(let text) = expected {
            let summary = WireSummary.scan(text)
            slot.summary = summary
            if summary.kind == .request { recordedRequests[summary.method, default: []].append(slots.count) }
        }
        slots.append(slot)
    }

    /// The first unmatched slot at or after `head` that satisfies `predicate`.
    func firstUnmatched(where predicate: (Slot) -> Bool) -> Int? {
        var i = head
        while i < slots.count {
            if !slots[i].matched, predicate(slots[i]) { return i }
            i += 1
        }
        return nil
    }

    func markMatched(_ i: Int) {
        slots[i].matched = true
        while head < slots.count, slots[head].matched { head += 1 }
    }

    var firstUnmatchedSlot: Slot? { head < slots.count ? slots[head] : nil }

    // MARK: TransportDelegate (the live socket)

    func transport(_ transport: any Transport, didReceive text: String) {
        guard transport === socket else { return }
        session.received(text, on: self)
    }

    func transport(_ transport: any Transport, didClose event: TransportCloseEvent) {
        guard transport === socket else { return }
        socket = nil
        let wasOpen = state == .open
        state = .closed
        guard wasOpen, event.initiator != .local else { return }
        session.serverClosed(self, code: event.code, reason: event.reason)
    }
}
