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
}

extension Room {
    /// Sends one notification to every peer (except `excluded`), encoding it once.
    public func broadcast(_ method: String, _ data: JSONValue = .emptyObject, except excluded: Peer? = nil) {
        let notification = EncodedNotification(method, data)
        for peer in peers where peer !== excluded { peer.notify(notification) }
    }
}
