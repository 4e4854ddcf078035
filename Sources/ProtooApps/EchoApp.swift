import Protoo

/// The smallest useful app: one room, peers from `?peerId=`, every request echoed back.
/// The simulator's `echo` scenario runs against it.
public final class EchoApp: ProtooApp {
    public let room: Room

    public init(context: EngineContext) { room = Room(context: context) }

    public func handleConnection(_ request: ConnectionRequest) {
        guard let peerId = request.queryValue("peerId"), !peerId.isEmpty else {
            return request.reject(status: 400, reason: "peerId required")
        }
        guard let peer = try? room.createPeer(id: peerId, transport: request.accept()) else { return }
        peer.onRequest { request in .accept(request.data) }
    }

    public func shutdown() { room.close() }
}
