import Protoo
import ProtooReplay
import ProtooWebSocketCore

/// One recorded connection during a live replay: its socket, the recorded server events it still
/// waits for, and what it sent that the server has not yet been seen to read. Lives on the
/// session's event loop.
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
    /// Set at the connection's first divergence: from then on only responses (matched by the id
    /// the client chose) are compared on it; its other events are counted as not compared.
    var diverged = false

    /// The recorded server events of this connection, in record order.
    var slots: [Slot] = []
    /// The first slot not yet matched (everything before it is).
    var head = 0
    /// Recorded server requests: (method, ordinal among that method's) → slot.
    var recordedRequests: [String: [Int]] = [:]
    /// The recorded responses by request id: the error code of an error response, `nil` for a success.
    var recordedResponseCode: [RequestID: Int?] = [:]
    /// Live server requests seen, per method.
    var liveRequestCount: [String: Int] = [:]
    /// Recorded server request id → live id.
    var liveIDForRecorded: [RequestID: RequestID] = [:]
    /// Client requests sent and not yet answered: id → method, when sent (uptime ns), send number.
    var pendingClientRequests: [RequestID: (method: String, sentAt: UInt64, sequence: Int)] = [:]
    /// Recorded client request id → method (for a response's method).
    var clientMethods: [RequestID: String] = [:]

    // The order barrier (see ``LiveSession``): messages sent, and how many of them the server is
    // known to have read (a response to one of them, or a pong to a ping sent after them).
    var sent = 0
    var confirmed = 0
    var pingInFlight = false
    var unconfirmed: Bool { state == .open && confirmed < sent }

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
            switch summary.kind {
            case .request: recordedRequests[summary.method, default: []].append(slots.count)
            case .response:
                let parsed = try? JSONParser.parse(text)
                recordedResponseCode[summary.id] = parsed?["ok"]?.isTruthy == true ? .some(nil) : .some(parsed?["errorCode"]?.intValue ?? 0)
            case .notification, .invalid: break
            }
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

    /// A recorded server close not matched yet.
    var expectsServerClose: Bool {
        firstUnmatched { if case .closed = $0.expected { return true }; return false } != nil
    }

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
