import Protoo

/// The simulation's record of everything that crossed the server's edge: a running digest,
/// counters, and the last few events (for failure reports). It is a ``TrafficTap``, fed exactly
/// like a production trace recorder, and forwards to another tap (e.g. a recorder) if given one.
public final class EventLog: TrafficTap {
    /// One event of the recent history (a failure report's `lastEvents`).
    public struct Event: CustomStringConvertible {
        /// When it happened (virtual time).
        public var time: Instant
        /// The connection it happened on.
        public var connection: ConnectionID
        var tag: UInt8
        var text: String
        /// `[time] #connection what` (a message's first 200 characters).
        public var description: String {
            let what: String
            switch tag {
            case 1: what = "connect \(text)"
            case 2: what = "accepted"
            case 3: what = "rejected \(text)"
            case 4: what = "in  \(text.prefix(200))"
            case 5: what = "out \(text.prefix(200))"
            case 7: what = "sim \(text)"
            default: what = "closed \(text)"
            }
            return "[\(time)] #\(connection) \(what)"
        }
    }

    /// What crossed the server's edge so far (`In`: client → server, `Out`: server → client).
    public struct Counters: Sendable, Codable, Hashable {
        /// Connection attempts that reached the server.
        public var connectionsRequested = 0
        /// Connections the app accepted.
        public var connectionsAccepted = 0
        /// Connections the app refused.
        public var connectionsRejected = 0
        /// Connections closed (either side, or lost).
        public var connectionsClosed = 0
        /// Messages the server received, by kind.
        public var requestsIn = 0, responsesIn = 0, notificationsIn = 0
        /// Messages the server sent, by kind.
        public var requestsOut = 0, responsesOut = 0, notificationsOut = 0
        /// Bytes of messages received and sent by the server.
        public var bytesIn = 0, bytesOut = 0
        /// Every message, both ways.
        public var messages: Int { requestsIn + responsesIn + notificationsIn + requestsOut + responsesOut + notificationsOut }

        /// Adds another log's counts (a sharded run's shards).
        mutating func add(_ o: Counters) {
            connectionsRequested += o.connectionsRequested; connectionsAccepted += o.connectionsAccepted
            connectionsRejected += o.connectionsRejected; connectionsClosed += o.connectionsClosed
            requestsIn += o.requestsIn; responsesIn += o.responsesIn; notificationsIn += o.notificationsIn
            requestsOut += o.requestsOut; responsesOut += o.responsesOut; notificationsOut += o.notificationsOut
            bytesIn += o.bytesIn; bytesOut += o.bytesOut
        }

        mutating func count(_ utf8: UnsafeRawBufferPointer, inbound: Bool) {
            let kind = EventLog.kind(of: utf8)
            if inbound {
                switch kind {
                case .request: requestsIn += 1
                case .response: responsesIn += 1
                case .notification: notificationsIn += 1
                case .other: break
                }
                bytesIn += utf8.count
            } else {
                switch kind {
                case .request: requestsOut += 1
                case .response: responsesOut += 1
                case .notification: notificationsOut += 1
                case .other: break
                }
                bytesOut += utf8.count
            }
        }
    }

    /// The running digest of every event so far.
    public var digest: EventDigest { state.digest }
    /// What crossed the server's edge so far.
    public var counters: Counters { state.counters }
    /// Events logged so far.
    public var eventCount: Int { state.eventCount }
    /// Private and only ever read or written whole (updates work on a local copy), like
    /// `recentIndex`: no access spans a call, so none is checked at run time.
    private var state = State()
    private struct State {
        var digest = EventDigest()
        var counters = Counters()
        var eventCount = 0
    }
    /// The recent history: a ring of `history` slots, each the event's time, connection, tag and
    /// the first ``slotBytes`` bytes of its text. Messages are copied in as bytes (no `String`
    /// is made or kept per message); ``lastEvents`` makes the strings when a report asks.
    private let history: Int
    private let times: UnsafeMutablePointer<Int64>
    private let connections: UnsafeMutablePointer<ConnectionID>
    private let tags: UnsafeMutablePointer<UInt8>
    private let lengths: UnsafeMutablePointer<Int32>
    private let texts: UnsafeMutablePointer<UInt8>
    private var recentIndex = 0
    private var recentCount = 0
    /// How much of each event's text the history keeps (reports show 200 characters of a message).
    static let slotBytes = 512
    let forward: (any TrafficTap)?
    var onClosed: ((ConnectionID) -> Void)?

    /// A log that keeps the last `history` events and passes every event on to `forward`.
    public init(history: Int = 24, forward: (any TrafficTap)? = nil) {
        self.history = max(1, history)
        times = .allocate(capacity: self.history)
        connections = .allocate(capacity: self.history)
        tags = .allocate(capacity: self.history)
        lengths = .allocate(capacity: self.history)
        texts = .allocate(capacity: self.history * Self.slotBytes)
        self.forward = forward
    }

    deinit {
        times.deallocate()
        connections.deallocate()
        tags.deallocate()
        lengths.deallocate()
        texts.deallocate()
    }

    /// The last events, oldest first.
    public var lastEvents: [Event] {
        let first = recentCount < history ? 0 : recentIndex
        return (0..<recentCount).map { k in
            let i = (first + k) % history
            let text = String(decoding: UnsafeBufferPointer(start: texts + i * Self.slotBytes, count: Int(lengths[i])), as: UTF8.self)
            return Event(time: Instant(nanoseconds: times[i]), connection: connections[i], tag: tags[i], text: text)
        }
    }

    /// Puts an event in the history (its text cut to ``slotBytes``).
    @inline(__always)
    private func remember(_ time: Instant, _ connection: ConnectionID, _ tag: UInt8, _ utf8: UnsafeRawBufferPointer) {
        let i = recentIndex
        times[i] = time.nanoseconds
        connections[i] = connection
        tags[i] = tag
        let n = min(utf8.count, Self.slotBytes)
        lengths[i] = Int32(n)
        if n > 0 { UnsafeMutableRawPointer(texts + i * Self.slotBytes).copyMemory(from: utf8.baseAddress!, byteCount: n) }
        recentIndex = i + 1 == history ? 0 : i + 1
        if recentCount < history { recentCount += 1 }
    }

    private func note(_ time: Instant, _ connection: ConnectionID, _ tag: UInt8, _ text: String) {
        var text = text
        text.withUTF8 { note(time, connection, tag, UnsafeRawBufferPointer($0)) }
    }

    @inline(__always)
    private func note(_ time: Instant, _ connection: ConnectionID, _ tag: UInt8, _ utf8: UnsafeRawBufferPointer) {
        var d = state.digest
        d.add(UInt64(bitPattern: time.nanoseconds))
        d.add(connection)
        d.byte(tag)
        d.add(bytes: utf8)
        state.digest = d
        state.eventCount += 1
        remember(time, connection, tag, utf8)
    }

    /// A simulator note (fault, client failure) for the recent history; not in the digest.
    func note(at time: Instant, _ text: String) {
        var text = text
        text.withUTF8 { remember(time, 0, 7, UnsafeRawBufferPointer($0)) }
    }

    enum Kind { case request, response, notification, other }
    @inline(__always) static func kind(of utf8: UnsafeRawBufferPointer) -> Kind {
        // Messages written by the engine start with their kind's flag: `{"n`, `{"res`, `{"req`.
        guard utf8.count >= 5, utf8[0] == UInt8(ascii: "{"), utf8[1] == UInt8(ascii: "\"") else { return .other }
        switch utf8[2] {
        case UInt8(ascii: "n"): return .notification
        case UInt8(ascii: "r"):
            guard utf8[3] == UInt8(ascii: "e") else { return .other }
            switch utf8[4] {
            case UInt8(ascii: "s"): return .response
            case UInt8(ascii: "q"): return .request
            default: return .other
            }
        default: return .other
        }
    }

    /// Counts, digests and forwards a connection attempt.
    public func connectionRequested(_ connection: ConnectionID, at time: Instant, target: String,
                                    headers: [(name: String, value: String)], remoteAddress: String) {
        state.counters.connectionsRequested += 1
        note(time, connection, 1, target)
        forward?.connectionRequested(connection, at: time, target: target, headers: headers, remoteAddress: remoteAddress)
    }

    /// Counts, digests and forwards an acceptance.
    public func connectionAccepted(_ connection: ConnectionID, at time: Instant) {
        state.counters.connectionsAccepted += 1
        note(time, connection, 2, "")
        forward?.connectionAccepted(connection, at: time)
    }

    /// Counts, digests and forwards a refusal.
    public func connectionRejected(_ connection: ConnectionID, at time: Instant, status: Int, reason: String) {
        state.counters.connectionsRejected += 1
        note(time, connection, 3, "\(status) \(reason)")
        forward?.connectionRejected(connection, at: time, status: status, reason: reason)
    }

    /// Counts, digests and forwards a message the server received.
    public func messageReceived(_ connection: ConnectionID, at time: Instant, text: String) {
        var text = text
        text.withUTF8 { messageReceived(connection, at: time, utf8: UnsafeRawBufferPointer($0)) }
    }

    /// Counts, digests and forwards a message the server sent.
    public func messageSent(_ connection: ConnectionID, at time: Instant, text: String) {
        var text = text
        text.withUTF8 { messageSent(connection, at: time, utf8: UnsafeRawBufferPointer($0)) }
    }

    /// Counts, digests and forwards a message the server received, as bytes.
    public func messageReceived(_ connection: ConnectionID, at time: Instant, utf8: UnsafeRawBufferPointer) {
        var c = state.counters
        c.count(utf8, inbound: true)
        state.counters = c
        note(time, connection, 4, utf8)
        forward?.messageReceived(connection, at: time, utf8: utf8)
    }

    /// Counts, digests and forwards a message the server sent, as bytes.
    public func messageSent(_ connection: ConnectionID, at time: Instant, utf8: UnsafeRawBufferPointer) {
        var c = state.counters
        c.count(utf8, inbound: false)
        state.counters = c
        note(time, connection, 5, utf8)
        forward?.messageSent(connection, at: time, utf8: utf8)
    }

    /// Counts, digests and forwards a close.
    public func connectionClosed(_ connection: ConnectionID, at time: Instant, event: TransportCloseEvent) {
        state.counters.connectionsClosed += 1
        let text = "\(event.code.map(String.init) ?? "-") \(event.initiator.rawValue) \(event.reason)"
        note(time, connection, 6, text)
        forward?.connectionClosed(connection, at: time, event: event)
        onClosed?(connection)
    }
}
