import Protoo

/// The conformance app (`protoo serve --app conformance`): one room whose behavior is driven by
/// the client's requests, to exercise every protocol path. Specified in `conformance-app.md`.
/// A connection with `?roomId=` joins that room instead (rooms are independent and go when their
/// last peer leaves), so that copies of a recording (`protoo load --trace --copies`) each have
/// their own; without it, every connection shares the one room of the specification.
///
/// Connections: `?peerId=` is required (missing/empty → 400), `peerId=reject` → 403 "Sorry!",
/// a peerId already in the room → 409. Requests: `echo`, `reject`, `throw`, `notifyMe`,
/// `requestMe`, `receivedNotifications`, `roomPeers`, `dropMe`, `closeMe`, `closeRoom`; anything
/// else → 404 "unknown method".
public final class ConformanceApp: ProtooApp {
    /// The error the `throw` method throws; its text is the error response's reason.
    public struct Boom: Error, CustomStringConvertible {
        public var description: String { "BOOM!!!" }
    }

    /// The engine context the app runs on (its scheduler, random source and logger).
    public let context: EngineContext
    /// The rooms by `roomId` (`""`: connections without one); `closeRoom` replaces one with a new
    /// empty room.
    public private(set) var rooms: [String: Room] = [:]

    /// The room of connections without a `roomId`.
    public var room: Room { room(named: "") }

    /// An app with no peers yet.
    public init(context: EngineContext) {
        self.context = context
    }

    private func room(named name: String) -> Room {
        if let room = rooms[name] { return room }
        let room = Room(context: context)
        rooms[name] = room
        return room
    }

    /// Applies the connection rules above, then adds the peer to the room.
    public func handleConnection(_ request: ConnectionRequest) {
        guard let peerID = request.queryValue("peerId"), !peerID.isEmpty else {
            return request.reject(status: 400, reason: "missing peerId in the URL query")
        }
        if peerID == "reject" {
            return request.reject(status: 403, reason: "Sorry!")
        }
        let roomID = request.queryValue("roomId") ?? ""
        let room = room(named: roomID)
        if room.hasPeer(peerID) {
            return request.reject(status: 409, reason: "peerId already in the room")
        }
        let transport = request.accept()
        do {
            let peer = try room.createPeer(id: peerID, transport: transport)
            if !roomID.isEmpty {
                // A named room goes with its last peer.
                peer.onClose { [weak self, weak room] _ in
                    guard let self, let room, room.peers.isEmpty, self.rooms[roomID] === room else { return }
                    self.rooms[roomID] = nil
                }
            }
            setUp(peer, in: room, named: roomID)
        } catch {
            context.logger.warning("conformance: peer refused", metadata: ["peer": .untrusted(peerID), "reason": .untrusted("\(error)")])
        }
    }

    /// Closes every room: every peer gets close code 4000.
    public func shutdown() {
        for name in rooms.keys.sorted() { rooms[name]?.close() }
    }

    private func setUp(_ peer: Peer, in room: Room, named roomID: String) {
        let received = NotificationLog()
        peer.onNotification { method, data in
            received.add(["method": .string(method), "data": data], bytes: method.utf8.count + JSONWriter.string(data).utf8.count)
        }
        // `unowned`: the server keeps its app for as long as any of its peers can receive (a weak
        // reference would put the app on the slow reference-counting path for every request).
        peer.onRequest { [unowned self, unowned peer] request in
            try self.handle(request, peer: peer, room: room, roomID: roomID, received: received)
        }
    }

    private func handle(_ request: IncomingRequest, peer: Peer, room: Room, roomID: String, received: NotificationLog) throws -> Reply {
        let data = request.data
        switch request.method {
        case "echo":
            return .accept(data)
        case "reject":
            return .reject(code: 503, reason: "WHO KNOWS!")
        case "throw":
            throw Boom()
        case "notifyMe":
            guard let method = data["method"]?.stringValue else {
                return .reject(code: 400, reason: "notifyMe needs data.method (a string)")
            }
            peer.notify(method, data["data"] ?? .emptyObject)
            return .accept()
        case "requestMe":
            guard let method = data["method"]?.stringValue else {
                return .reject(code: 400, reason: "requestMe needs data.method (a string)")
            }
            peer.request(method, data["data"] ?? .emptyObject) { result in
                switch result {
                case .success(let response): request.accept(response)
                case .failure(let error): request.reject(code: error.code, reason: error.reason)
                }
            }
            return .deferred
        case "receivedNotifications":
            var answer: JSONObject = ["notifications": .array(received.entries)]
            if received.dropped > 0 { answer["dropped"] = JSONValue(received.dropped) }
            return .accept(.object(answer))
        case "roomPeers":
            return .accept(["peers": .array(room.peers.map { .string($0.id) })])
        case "dropMe":
            // Answer first: once the peer is closed nothing more can be sent.
            request.accept()
            if data["how"]?.stringValue == "tcp" {
                peer.close(.drop)
            } else {
                peer.close(.code(CloseCode.normal, reason: "dropped on request"))
            }
            return .deferred
        case "closeMe":
            request.accept()
            peer.close(.protoo)
            return .deferred
        case "closeRoom":
            request.accept()
            if rooms[roomID] === room { rooms[roomID] = Room(context: context) }
            room.close()
            return .deferred
        default:
            return .reject(code: 404, reason: "unknown method")
        }
    }
}

/// The notifications one connection sent, in arrival order.
private final class NotificationLog {
    /// A served test app must not keep without bound what a client sends: the first 1,000
    /// notifications, or 1 MiB of them, are kept; later ones are counted (`dropped`).
    static let maxEntries = 1000
    static let maxBytes = 1 << 20

    private(set) var entries: [JSONValue] = []
    private(set) var dropped = 0
    private var bytes = 0

    func add(_ entry: JSONValue, bytes size: Int) {
        guard entries.count < Self.maxEntries, bytes + size <= Self.maxBytes else {
            dropped += 1
            return
        }
        bytes += size
        entries.append(entry)
    }
}
