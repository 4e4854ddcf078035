import Protoo
import ProtooSimulator

/// A test app with a planted race, for the minimiser's tests and benchmark: `publish` awaits a
/// media service, then lists the peer's track; a peer whose connection closed during the await
/// stays listed for ever (a ghost track). `fixed` checks for the close and lists nothing.
public final class TrackApp: ProtooApp {
    public let context: EngineContext
    let fixed: Bool
    var rooms: [String: Room] = [:]
    /// Every published track, by owner.
    public private(set) var tracks: [(owner: Peer, id: Int)] = []
    private var nextTrack = 0

    public init(context: EngineContext, fixed: Bool = false) {
        self.context = context
        self.fixed = fixed
    }

    public func handleConnection(_ request: ConnectionRequest) {
        guard let roomId = request.queryValue("roomId"), let peerId = request.queryValue("peerId") else {
            return request.reject(status: 400, reason: "roomId and peerId required")
        }
        let room = rooms[roomId] ?? Room(context: context)
        rooms[roomId] = room
        guard let peer = try? room.createPeer(id: peerId, transport: request.accept()) else { return }
        peer.onRequest { [unowned self, unowned peer] request async throws -> Reply in
            switch request.method {
            case "join":
                return .accept(["peers": .int(Int64(room.peers.count))])
            case "publish":
                // The awaited media service.
                try await context.sleep(for: .milliseconds(400))
                if fixed, peer.isClosed { throw ProtooError.reject(410, "peer left") }
                nextTrack += 1
                tracks.append((peer, nextTrack))
                return .accept(["trackId": .int(Int64(nextTrack))])
            default:
                throw ProtooError.reject(404, "unknown method")
            }
        }
        peer.onClose { [unowned self, unowned peer] _ in
            tracks.removeAll { $0.owner === peer }
        }
    }

    /// The planted bug's scenario: each client joins, then publishes a track every 1–3 s until
    /// `publishUntil` (virtual time; then it only listens, so leaving at the run's end races
    /// nothing: only a fault can close a connection during `publish`); the invariant
    /// `no-ghost-tracks` says no closed peer owns a track.
    public static func scenario(fixed: Bool = false, publishUntil: Duration = .seconds(50)) -> SimulationScenario {
        var scenario = SimulationScenario(name: fixed ? "tracks-fixed" : "tracks", app: { TrackApp(context: $0, fixed: fixed) }) { client in
            _ = try await client.request("join")
            while client.now < Instant.zero + publishUntil {
                try await client.sleep(for: .milliseconds(1_000 + Int64(client.random.next(upperBound: UInt64(2_000)))))
                _ = try? await client.request("publish", ["kind": "audio"])
            }
        }
        scenario.invariant("no-ghost-tracks") { (app: TrackApp) -> String? in
            app.tracks.first { $0.owner.isClosed }.map { "track \($0.id) of closed peer \($0.owner.id) is still listed" }
        }
        return scenario
    }
}
