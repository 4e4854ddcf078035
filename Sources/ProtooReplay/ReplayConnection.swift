#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Protoo
import ProtooTrace

/// A server event, recorded or live.
enum ReplayOutput {
    case accepted
    case rejected(status: Int, reason: String)
    /// The text and its summary; `nil` while not needed (a canonical notification or response
    /// that matched; see ``summary``).
    case message(String, WireSummary?)
    case closed(code: UInt16?, reason: String, initiator: TraceCloseInitiator)

    /// The message's summary, scanned now if it was deferred.
    var summary: WireSummary? {
        guard case .message(let t, let s) = self else { return nil }
        return s ?? WireSummary.scan(t)
    }

    var text: String {
        switch self {
        case .accepted: return "accepted"
        case .rejected(let s, let r): return "rejected \(s) \(r)"
        case .message(let t, _): return t
        case .closed(let c, let r, let i): return "closed code=\(c.map(String.init) ?? "none") reason=\"\(r)\" by \(i.rawValue)"
        }
    }
}

/// A server request of one method at one position on a connection: its recorded and live ids,
/// and the recorded client's answer, delivered once both sides are known.
final class ServerRequestPair {
    var recorded: (id: RequestID, time: Int64)?
    var live: (id: RequestID, time: Int64)?
    var response: (text: String, time: Int64, sequence: Int)?
    var scheduled = false
}

/// One replayed connection: the server-side ``Transport`` the app gets, and the bookkeeping that
/// matches its live output with the recording.
final class ReplayConnection: Transport {
    enum State { case requested, open, closed, rejected }

    /// Held until the close is delivered (see ``Transport``). Not weak: a weak reference would give
    /// the peer a side table, and every retain and release of it would take the slow path.
    var delegate: (any TransportDelegate)?
    let id: ConnectionID
    let peer: String?
    let room: String?
    /// `unowned`: the replayer keeps every connection and outlives them (it releases them when
    /// it goes).
    unowned let replayer: Replayer
    var state = State.requested

    /// A recorded server event waiting to be matched: an output, or a canonical notification or
    /// response kept as bytes in ``recordedBytes`` (no string is made unless it fails to match).
    enum Expected {
        case output(ReplayOutput)
        /// Absolute offsets in the stream of recorded bytes (see ``bytesDiscarded``).
        case canonical(start: Int, count: Int)
    }

    /// Recorded server events not yet matched, from `expectedHead` on.
    private(set) var expected: [(time: Int64, event: Expected)] = []
    private var expectedHead = 0
    var diverged = false
    /// The bytes of pending `.canonical` events, in order: a queue that drops what was matched when
    /// more is appended, so a popped event's bytes stay readable until the next ``expectCanonical(_:at:)``.
    private var recordedBytes: [UInt8] = []
    /// Bytes dropped from the front of ``recordedBytes`` so far, and the end of the last popped span.
    private var bytesDiscarded = 0
    private var bytesConsumed = 0

    /// Server requests by method, in order; ordinals count per method on each side.
    private var pairs: [String: [ServerRequestPair]] = [:]
    private var recordedOrdinal: [String: Int] = [:]
    private var liveOrdinal: [String: Int] = [:]
    var pairByRecordedID: [RequestID: ServerRequestPair] = [:]
    var recordedIDForLive: [RequestID: RequestID] = [:]
    /// Recorded client request id → method (the method of the server's response).
    var clientMethods: [RequestID: String] = [:]

    init(id: ConnectionID, target: String, replayer: Replayer) {
        self.id = id
        self.replayer = replayer
        let query = ConnectionRequest.parseTarget(target).query
        peer = query.first { $0.name == "peerId" }?.value
        room = query.first { $0.name == "roomId" }?.value
    }

    // MARK: Expected events

    func expect(_ output: ReplayOutput, at time: Int64) { expected.append((time, .output(output))) }

    /// A recorded canonical notification or response, kept as bytes.
    func expectCanonical(_ bytes: UnsafeBufferPointer<UInt8>, at time: Int64) {
        let dead = bytesConsumed - bytesDiscarded
        if dead > 4096, dead * 2 > recordedBytes.count {
            recordedBytes.removeFirst(dead)
            bytesDiscarded = bytesConsumed
        }
        let start = bytesDiscarded + recordedBytes.count
        recordedBytes.append(contentsOf: bytes)
        expected.append((time, .canonical(start: start, count: bytes.count)))
    }

    /// The next recorded event to match, consumed (moved out: its slot keeps a placeholder). A
    /// `.canonical` event's bytes stay readable until the next ``expectCanonical(_:at:)``.
    func nextExpected() -> (time: Int64, event: Expected)? {
        guard expectedHead < expected.count else { return nil }
        let i = expectedHead
        let e = expected.withUnsafeMutableBufferPointer { buffer in
            let slot = buffer.baseAddress! + i
            let taken = slot.move()
            slot.initialize(to: (taken.time, .canonical(start: 0, count: 0)))
            return taken
        }
        expectedHead += 1
        if case .canonical(let start, let count) = e.event { bytesConsumed = start + count }
        if expectedHead > 256, expectedHead * 2 > expected.count {
            expected.removeFirst(expectedHead)
            expectedHead = 0
        }
        return e
    }

    /// Consumes the next recorded event if it is a `.canonical` one with exactly these bytes.
    func takeExpected(ifCanonical bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard expectedHead < expected.count,
              case .canonical(let start, let count) = expected[expectedHead].event, count == bytes.count,
              recordedBytes.withUnsafeBufferPointer({ b in
                  count == 0 || memcmp(b.baseAddress! + (start - bytesDiscarded), bytes.baseAddress!, count) == 0
              }) else { return false }
        _ = nextExpected()
        return true
    }

    /// An expected event as an output (a `.canonical` one's bytes made into a message).
    func output(of event: Expected) -> ReplayOutput {
        switch event {
        case .output(let o):
            return o
        case .canonical(let start, let count):
            let text = recordedBytes.withUnsafeBufferPointer { b in
                String(decoding: UnsafeBufferPointer(rebasing: b[(start - bytesDiscarded)..<(start - bytesDiscarded + count)]), as: UTF8.self)
            }
            return .message(text, nil)
        }
    }

    /// The recorded event `offset` places after the last one taken (0: the next), not consumed.
    func expected(after offset: Int) -> (time: Int64, output: ReplayOutput)? {
        let i = expectedHead + offset
        return i < expected.count ? (expected[i].time, output(of: expected[i].event)) : nil
    }

    var firstUnmatched: (time: Int64, output: ReplayOutput)? {
        expectedHead < expected.count ? (expected[expectedHead].time, output(of: expected[expectedHead].event)) : nil
    }

    // MARK: Server requests

    private func pair(_ method: String, _ ordinal: Int) -> ServerRequestPair {
        var list = pairs[method, default: []]
        while list.count <= ordinal { list.append(ServerRequestPair()) }
        pairs[method] = list
        return list[ordinal]
    }

    /// A recorded server request; returns its pair.
    func recordedRequest(id: RequestID, method: String, at time: Int64) -> ServerRequestPair {
        let ordinal = recordedOrdinal[method, default: 0]
        recordedOrdinal[method] = ordinal + 1
        let p = pair(method, ordinal)
        p.recorded = (id, time)
        pairByRecordedID[id] = p
        if let live = p.live { recordedIDForLive[live.id] = id }
        return p
    }

    /// A live server request; returns its pair.
    func liveRequest(id: RequestID, method: String, at time: Int64) -> ServerRequestPair {
        let ordinal = liveOrdinal[method, default: 0]
        liveOrdinal[method] = ordinal + 1
        let p = pair(method, ordinal)
        p.live = (id, time)
        if let recorded = p.recorded { recordedIDForLive[id] = recorded.id }
        return p
    }

    // MARK: Transport (server side)

    var isClosed: Bool { state != .open }

    func send(_ text: String) {
        guard state == .open else { return }
        replayer.liveSent(self, text)
    }

    /// What the engine encodes arrives here as bytes: a matching message is compared in place,
    /// no string made.
    func send(utf8: UnsafeRawBufferPointer) {
        guard state == .open else { return }
        let bytes = utf8.bindMemory(to: UInt8.self)
        replayer.liveSent(self, utf8: bytes)
    }

    func close(code: UInt16, reason: String) {
        finishLocally(code: code, reason: reason)
    }

    func abort() {
        finishLocally(code: nil, reason: "aborted")
    }

    private func finishLocally(code: UInt16?, reason: String) {
        guard state == .open else { return }
        state = .closed
        replayer.liveOutput(self, .closed(code: code, reason: reason, initiator: .server))
        let event = TransportCloseEvent(code: code, reason: reason, initiator: .local)
        replayer.scheduler.enqueue { [self] in
            let delegate = self.delegate
            self.delegate = nil
            delegate?.transport(self, didClose: event)
        }
    }

    // MARK: Client side (driven by the replayer)

    func receive(_ text: String) {
        guard state == .open else { return }
        delegate?.transport(self, didReceive: text)
    }

    func closeFromClient(_ event: TransportCloseEvent) {
        guard state == .open else { return }
        state = .closed
        replayer.liveOutput(self, .closed(code: event.code, reason: event.reason, initiator: TraceCloseInitiator(event.initiator)))
        let delegate = self.delegate
        self.delegate = nil
        delegate?.transport(self, didClose: event)
    }
}
