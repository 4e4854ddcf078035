import Protoo

/// The first point where a connection's live server output differs from the recording.
public struct ReplayDivergence: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// The live event differs from the recorded one at the same position.
        case mismatch
        /// The server produced an event the recording does not have (at that position or at all).
        case unexpected
        /// The recording has events the server never produced by the end of the replay.
        case missing
        /// The live event is one the recording has later on this connection: the order or the
        /// timing changed (``matchedTime`` is when the recording had it).
        case reordered
    }

    public var kind: Kind
    /// Virtual time of the live event (for `missing`: when the recording had it).
    public var time: Instant
    /// When the recording had the expected event, if there is one.
    public var recordedTime: Instant?
    /// For `reordered`: when the recording had the event the live one equals.
    public var matchedTime: Instant?
    public var connection: ConnectionID
    /// `peerId` and `roomId` from the connection's URL, when present.
    public var peer: String?
    public var room: String?
    /// The method of the compared message (a response's is its request's).
    public var method: String?
    /// The recorded event (wire text, or e.g. `closed code=4000 by server`).
    public var expected: String?
    /// The live event.
    public var actual: String?
    /// Paths that differ, for messages; `event`, `status`, `code`, … for other events.
    public var differences: [ReplayDifference]
    /// The replay's last events before the divergence, oldest first.
    public var lastEvents: [String]

    package init(kind: Kind, time: Instant, recordedTime: Instant?, matchedTime: Instant? = nil, connection: ConnectionID,
                 peer: String?, room: String?, method: String?, expected: String?, actual: String?,
                 differences: [ReplayDifference], lastEvents: [String]) {
        self.kind = kind
        self.time = time
        self.recordedTime = recordedTime
        self.matchedTime = matchedTime
        self.connection = connection
        self.peer = peer
        self.room = room
        self.method = method
        self.expected = expected
        self.actual = actual
        self.differences = differences
        self.lastEvents = lastEvents
    }

    public var description: String {
        var lines: [String] = []
        let who = [peer.map { "peer \($0)" }, room.map { "room \($0)" }].compactMap { $0 }.joined(separator: ", ")
        lines.append("divergence (\(kind.rawValue)) at \(time) on connection #\(connection)\(who.isEmpty ? "" : " (\(who))")"
                     + (method.map { ", method \($0)" } ?? ""))
        if kind == .reordered, let matchedTime {
            lines.append("  order/timing changed: this message was recorded at \(matchedTime), after the expected one below "
                         + "(recorded at \(recordedTime.map(\.description) ?? "?")); it came at \(time)")
        } else if let recordedTime, recordedTime != time {
            lines.append("  recorded at \(recordedTime)")
        }
        for d in differences { lines.append("  \(d)") }
        if let expected { lines.append("  expected: \(Self.clip(expected))") }
        if let actual { lines.append("  actual:   \(Self.clip(actual))") }
        if !lastEvents.isEmpty {
            lines.append("  last events:")
            for e in lastEvents { lines.append("    \(e)") }
        }
        return lines.joined(separator: "\n")
    }

    /// The divergence as one JSON object.
    public var json: JSONValue {
        var o = JSONObject()
        o["kind"] = .string(kind.rawValue)
        o["timeNs"] = .int(time.nanoseconds)
        o["time"] = .string(time.description)
        if let recordedTime { o["recordedTimeNs"] = .int(recordedTime.nanoseconds) }
        if let matchedTime { o["matchedRecordedTimeNs"] = .int(matchedTime.nanoseconds) }
        o["connection"] = .int(Int64(connection))
        o["peer"] = peer.map(JSONValue.string) ?? .null
        o["room"] = room.map(JSONValue.string) ?? .null
        o["method"] = method.map(JSONValue.string) ?? .null
        o["differences"] = .array(differences.map { d in
            ["path": .string(d.path.description), "expected": d.expected ?? .null, "actual": d.actual ?? .null,
             "change": .string(d.expected == nil ? "added" : d.actual == nil ? "removed" : "changed")]
        })
        o["expected"] = expected.map(JSONValue.string) ?? .null
        o["actual"] = actual.map(JSONValue.string) ?? .null
        o["lastEvents"] = .array(lastEvents.map(JSONValue.string))
        return .object(o)
    }

    static func clip(_ s: String) -> String { s.count > 300 ? String(s.prefix(297)) + "..." : s }
}
