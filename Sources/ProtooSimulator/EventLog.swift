import Protoo

/// The simulation's record of everything that crossed the server's edge: a running digest,
/// counters, and the last few events (for failure reports). It is a ``TrafficTap``, fed exactly
/// like a production trace recorder, and forwards to another tap (e.g. a recorder) if given one.
public final class EventLog: TrafficTap {
    public struct Event: CustomStringConvertible {
        public var time: Instant
        public var connection: ConnectionID
        var tag: UInt8
        var text: String
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

    public struct Counters: Sendable, Codable, Hashable {
        public var connectionsRequested = 0
        public var connectionsAccepted = 0
        public var connectionsRejected = 0
        public var connectionsClosed = 0
        public var requestsIn = 0, responsesIn = 0, notificationsIn = 0
        public var requestsOut = 0, responsesOut = 0, notificationsOut = 0
        public var bytesIn = 0, bytesOut = 0
        public var messages: Int { requestsIn + responsesIn + notificationsIn + requestsOut + responsesOut + notificationsOut }

        mutating func count(_ text: String, inbound: Bool) {
            let kind = EventLog.kind(of: text)
            if inbound {
                switch kind {
                case .request: requestsIn += 1
                case .response: responsesIn += 1
                case .notification: notificationsIn += 1
                case .other: break
                }
                bytesIn += text.utf8.count
            } else {
                switch kind {
                case .request: requestsOut += 1
                case .response: responsesOut += 1
                case .notification: notificationsOut += 1
                case .other: break
                }
                bytesOut += text.utf8.count
            }
        }
    }

    /// The running digest of every event so far.
    public var digest: EventDigest { state.digest }
    public var counters: Counters { state.counters }
    public var eventCount: Int { state.eventCount }
    /// Private and only ever read or written whole (updates work on a local copy), like `recent`
    /// and `recentIndex`: no access spans a call, so none is checked at run time.
    @exclusivity(unchecked) private var state = State()
    private struct State {
        var digest = EventDigest()
        var counters = Counters()
        var eventCount = 0
    }
    @exclusivity(unchecked) private var recent: [Event?]
    @exclusivity(unchecked) private var recentIndex = 0
    let forward: (any TrafficTap)?
    var onClosed: ((ConnectionID) -> Void)?

    public init(history: Int = 24, forward: (any TrafficTap)? = nil) {
        recent = Array(repeating: nil, count: max(1, history))
        self.forward = forward
    }

    /// The last events, oldest first.
    public var lastEvents: [Event] {
        (0..<recent.count).compactMap { recent[(recentIndex + $0) % recent.count] }
    }

    private func note(_ time: Instant, _ connection: ConnectionID, _ tag: UInt8, _ text: String) {
        var d = state.digest
        d.add(UInt64(bitPattern: time.nanoseconds))
        d.add(connection)
        d.byte(tag)
        d.add(text)
        state.digest = d
        state.eventCount += 1
        recent[recentIndex] = Event(time: time, connection: connection, tag: tag, text: text)
        recentIndex = (recentIndex + 1) % recent.count
    }

    /// A simulator note (fault, client failure) for the recent history; not in the digest.
    func note(at time: Instant, _ text: String) {
        recent[recentIndex] = Event(time: time, connection: 0, tag: 7, text: text)
        recentIndex = (recentIndex + 1) % recent.count
    }

    enum Kind { case request, response, notification, other }
    @inline(__always) static func kind(of text: String) -> Kind {
        // Messages written by the engine start with their kind's flag: `{"n`, `{"res`, `{"req`.
        var utf8 = text.utf8.makeIterator()
        guard utf8.next() == UInt8(ascii: "{"), utf8.next() == UInt8(ascii: "\"") else { return .other }
        switch utf8.next() {
        case UInt8(ascii: "n"): return .notification
        case UInt8(ascii: "r"):
            guard utf8.next() == UInt8(ascii: "e") else { return .other }
            switch utf8.next() {
            case UInt8(ascii: "s"): return .response
            case UInt8(ascii: "q"): return .request
            default: return .other
            }
        default: return .other
        }
    }

    public func connectionRequested(_ connection: ConnectionID, at time: Instant, target: String,
                                    headers: [(name: String, value: String)], remoteAddress: String) {
        state.counters.connectionsRequested += 1
        note(time, connection, 1, target)
        forward?.connectionRequested(connection, at: time, target: target, headers: headers, remoteAddress: remoteAddress)
    }

    public func connectionAccepted(_ connection: ConnectionID, at time: Instant) {
        state.counters.connectionsAccepted += 1
        note(time, connection, 2, "")
        forward?.connectionAccepted(connection, at: time)
    }

    public func connectionRejected(_ connection: ConnectionID, at time: Instant, status: Int, reason: String) {
        state.counters.connectionsRejected += 1
        note(time, connection, 3, "\(status) \(reason)")
        forward?.connectionRejected(connection, at: time, status: status, reason: reason)
    }

    public func messageReceived(_ connection: ConnectionID, at time: Instant, text: String) {
        var c = state.counters
        c.count(text, inbound: true)
        state.counters = c
        note(time, connection, 4, text)
        forward?.messageReceived(connection, at: time, text: text)
    }

    public func messageSent(_ connection: ConnectionID, at time: Instant, text: String) {
        var c = state.counters
        c.count(text, inbound: false)
        state.counters = c
        note(time, connection, 5, text)
        forward?.messageSent(connection, at: time, text: text)
    }

    public func connectionClosed(_ connection: ConnectionID, at time: Instant, event: TransportCloseEvent) {
        state.counters.connectionsClosed += 1
        let text = "\(event.code.map(String.init) ?? "-") \(event.initiator.rawValue) \(event.reason)"
        note(time, connection, 6, text)
        forward?.connectionClosed(connection, at: time, event: event)
        onClosed?(connection)
    }
}
