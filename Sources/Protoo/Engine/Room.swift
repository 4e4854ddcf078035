import OrderedCollections

/// A set of peers with unique ids. Closed peers leave by themselves.
public final class Room {
    public let context: EngineContext
    public private(set) var isClosed = false
    private var members: OrderedDictionary<String, Peer> = [:]
    private var closeHandlers: [() -> Void] = []

    public init(context: EngineContext) {
        self.context = context
        context.observer?.roomOpened()
    }

    /// The peers, in the order they joined.
    public var peers: [Peer] { Array(members.values) }
    public var peerCount: Int { members.count }

    /// The first peer, in join order, that satisfies `predicate`; unlike ``peers`` it copies nothing.
    public func firstPeer(where predicate: (Peer) throws -> Bool) rethrows -> Peer? {
        try members.values.first(where: predicate)
    }

    public func hasPeer(_ id: String) -> Bool { members[id] != nil }
    public func peer(_ id: String) -> Peer? { members[id] }

    /// Creates a peer on `transport` and adds it. On error the transport is closed (code 4000)
    /// and any existing peer with that id is left untouched.
    @discardableResult
    public func createPeer(id: String, transport: any Transport, configuration: Peer.Configuration = .server) throws(RoomError) -> Peer {
        func refuse(_ error: RoomError) -> RoomError {
            context.logger.warning("createPeer() refused", metadata: ["peer": .untrusted(id), "reason": .untrusted("\(error)")])
            transport.close(code: CloseCode.protoo, reason: "closed by protoo-server")
            return error
        }
        guard !isClosed else { throw refuse(.roomClosed) }
        guard !id.isEmpty else { throw refuse(.invalidPeerID) }
        guard members[id] == nil else { throw refuse(.duplicatePeerID(id)) }
        let peer = Peer(id: id, transport: transport, context: context, configuration: configuration)
        members[id] = peer
        peer.room = self
        return peer
    }

    deinit {
        for peer in members.values { peer.room = nil }
    }

    /// Called by a closing peer, before its close handlers run.
    func peerDidClose(_ peer: Peer) {
        guard members[peer.id] === peer else { return }
        members.removeValue(forKey: peer.id)
    }

    /// Observes the room's close (once).
    public func onClose(_ handler: @escaping () -> Void) { closeHandlers.append(handler) }

    /// Closes every peer (code 4000), then the room. Idempotent.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        context.observer?.roomClosed()
        for peer in Array(members.values) { peer.close() }
        members.removeAll()
        let handlers = closeHandlers
        closeHandlers.removeAll()
        for h in handlers { h() }
    }
}
