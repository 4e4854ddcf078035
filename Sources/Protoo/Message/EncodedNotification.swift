/// A notification encoded once, to send the same bytes to many peers (room-wide fan-out):
/// `let n = EncodedNotification("activeSpeaker", data); for p in room.peers { p.notify(n) }`.
public struct EncodedNotification: Sendable, Hashable {
    public let method: String
    /// The wire text.
    public let text: String

    public init(_ method: String, _ data: JSONValue = .emptyObject) {
        self.method = method
        self.text = Message.notification(method: method, data: data).encode()
    }

    /// A notification whose data is already JSON text (see ``JSONText``, ``JSONBuilder``).
    public init(_ method: String, _ data: JSONText) {
        self.method = method
        var out: [UInt8] = []
        out.reserveCapacity(48 + method.utf8.count + data.bytes.count)
        PreEncoded.notificationHead(method: method, into: &out)
        out.append(contentsOf: data.bytes)
        out.append(UInt8(ascii: "}"))
        self.text = String(decoding: out, as: UTF8.self)
    }

    /// A notification whose data `write` puts straight into the message's bytes (one buffer, no
    /// intermediate ``JSONText``). `write` must write exactly one JSON value.
    public init(_ method: String, capacity: Int = 64, writingData write: (inout JSONBuilder) -> Void) {
        self.method = method
        var out: [UInt8] = []
        out.reserveCapacity(capacity + 40 + method.utf8.count)
        PreEncoded.notification(method: method, into: &out, writingData: write)
        self.text = String(decoding: out, as: UTF8.self)
    }
}

extension Room {
    /// Sends one notification to every peer (except `excluded`), encoding it once.
    public func broadcast(_ method: String, _ data: JSONValue = .emptyObject, except excluded: Peer? = nil) {
        let notification = EncodedNotification(method, data)
        for peer in peers where peer !== excluded { peer.notify(notification) }
    }
}
