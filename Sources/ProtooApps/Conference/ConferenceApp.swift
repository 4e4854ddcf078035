import Logging
import Protoo

/// The signaling side of a mediasoup-style video-conference server: rooms from `?roomId=`,
/// the join flow, consumer fan-out, periodic `activeSpeaker`/`downlinkBwe`, user actions and leave.
///
/// No media is involved: ids and parameters are synthetic (``ConferencePayloads``) but the message
/// flow, shapes and sizes follow mediasoup-demo's (the `conference` scenario of `docs/simulator.md`).
/// Time and randomness come from the ``EngineContext`` only, so the app runs unchanged in
/// production, simulation and replay.
public final class ConferenceApp: ProtooApp {
    public struct Configuration: Sendable {
        /// `mediasoup-version` sent to every new connection.
        public var version = "3.14.7"
        /// `downlinkBwe` period per peer consuming video.
        public var downlinkBwePeriod: Duration = .seconds(1)
        /// `activeSpeaker` period while someone speaks.
        public var activeSpeakerPeriod: Duration = .milliseconds(800)
        /// Share of time someone speaks (the `s` of the traffic model).
        public var speakingShare = 0.7
        /// Delay between `peerClosed` and the consumer-closed notifications on leave.
        public var leaveCleanupDelay: Duration = .milliseconds(5)
        public init() {}
    }

    public let context: EngineContext
    public let configuration: Configuration
    /// What `join`, `createWebRtcTransport`, `connectWebRtcTransport`, `produce` and each
    /// `newConsumer` await first.
    public let media: any MediaService
    private(set) var rooms: [String: ConferenceRoom] = [:]
    /// The open rooms in creation order (what listings and shutdown walk; no lookups by id).
    private var roomOrder: [ConferenceRoom] = []

    /// An app whose rooms await `media` (default: a ``SimulatedMediaService``, a few ms a call).
    public init(context: EngineContext, configuration: Configuration = Configuration(), media: (any MediaService)? = nil) {
        self.context = context
        self.configuration = configuration
        self.media = media ?? SimulatedMediaService(context: context)
    }

    /// Open rooms, by id.
    public var roomIDs: [String] { roomOrder.map(\.id) }
    /// The protoo rooms that are open, in creation order.
    public var protooRooms: [Room] { roomOrder.map(\.protooRoom) }
    /// Calls `body` with each open protoo room, in creation order, without building an array.
    public func forEachProtooRoom(_ body: (Room) -> Void) {
        for room in roomOrder { body(room.protooRoom) }
    }
    /// Peers in a room (joined or not), in arrival order.
    public func peerIDs(inRoom id: String) -> [String] { rooms[id]?.protooRoom.peers.map(\.id) ?? [] }

    public func handleConnection(_ request: ConnectionRequest) {
        guard let roomId = request.queryValue("roomId"), !roomId.isEmpty,
              let peerId = request.queryValue("peerId"), !peerId.isEmpty else {
            request.reject(status: 400, reason: "Connection request without roomId and/or peerId")
            return
        }
        // A network drop reconnects with the same peerId: the old server peer goes first (which may
        // empty and close the room, so the room is looked up after).
        if let old = rooms[roomId]?.protooRoom.peer(peerId) {
            context.logger.info("replacing peer on reconnect", metadata: ["room": .untrusted(roomId), "peer": .untrusted(peerId)])
            old.close()
        }
        let room = self.room(roomId)
        let transport = request.accept()
        do {
            let peer = try room.protooRoom.createPeer(id: peerId, transport: transport)
            room.attach(peer)
        } catch {
            context.logger.warning("createPeer failed", metadata: ["peer": .untrusted(peerId), "error": .untrusted("\(error)")])
        }
    }

    public func shutdown() {
        for room in roomOrder { room.close() }
    }

    private func room(_ id: String) -> ConferenceRoom {
        if let r = rooms[id] { return r }
        let r = ConferenceRoom(id: id, app: self)
        rooms[id] = r
        roomOrder.append(r)
        return r
    }

    func roomDidEmpty(_ room: ConferenceRoom) {
        rooms[room.id] = nil
        roomOrder.removeAll { $0 === room }
    }
}
