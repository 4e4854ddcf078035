import Protoo

/// The in-memory network between simulated clients and the server apps (one, or several behind a
/// simulated balancer), on one virtual scheduler.
///
/// A client asks for a connection; the request reaches the app after one trip, the app's answer
/// (101 or an HTTP status) comes back after another. Every server-side transport is tapped, so the
/// event log sees exactly what a real server's trace would.
final class SimulatedNetwork {
    /// The run's virtual clock.
    public let scheduler: VirtualScheduler
    /// The seed of links opened without one of their own (each link draws its latencies from
    /// its own stream).
    private let seed: UInt64
    /// Every link's delay.
    public var latency: LatencyModel
    /// The servers' apps (one per server), and whether each is alive.
    let apps: [any ProtooApp]
    private(set) var alive: [Bool]
    /// The balancer's stick table: the server each room went to, while that server lives.
    private var stuck: [String: Int] = [:]
    let tap: any TrafficTap
    private var nextConnectionID: ConnectionID = 1
    /// Links whose connection is open or being opened, by id.
    private(set) var links: [ConnectionID: NetworkLink] = [:]
    /// Server ends of open connections (tapped; their delegates are the server peers).
    private(set) var serverTransports: [ConnectionID: LinkEnd] = [:]

    init(scheduler: VirtualScheduler, seed: UInt64, latency: LatencyModel, apps: [any ProtooApp], tap: any TrafficTap) {
        self.scheduler = scheduler
        self.seed = seed
        self.latency = latency
        self.apps = apps
        alive = Array(repeating: true, count: apps.count)
        self.tap = tap
    }

    /// A network to one server running `app`.
    convenience init(scheduler: VirtualScheduler, seed: UInt64, latency: LatencyModel, app: any ProtooApp, tap: any TrafficTap) {
        self.init(scheduler: scheduler, seed: seed, latency: latency, apps: [app], tap: tap)
    }

    /// How many servers are alive.
    var aliveCount: Int { alive.filter { $0 }.count }

    /// The balancer's choice for a connection to `target`: with one server, it; with several, the
    /// server its room is stuck to if alive, else the live server its `roomId` hashes to
    /// (rendezvous hashing: only a dead server's rooms move), which the room then sticks to.
    /// `nil` when no server is alive.
    func route(_ target: String) -> Int? {
        guard apps.count > 1 else { return alive[0] ? 0 : nil }
        let room = ConnectionRequest.parseTarget(target).query.first { $0.name == "roomId" }?.value ?? target
        if let server = stuck[room], alive[server] { return server }
        var best: (score: UInt64, server: Int)?
        let key = Self.fnv1a(room)
        for server in apps.indices where alive[server] {
            let score = RandomStream.mix(key ^ RandomStream.balancer.seed(0, server))
            if let current = best, current.score >= score { continue }
            best = (score, server)
        }
        if let best { stuck[room] = best.server }
        return best?.server
    }

    /// FNV-1a of the UTF-8 (a stable hash: Swift's own is seeded per process).
    static func fnv1a(_ text: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            h ^= UInt64(byte)
            h &*= 0x100_0000_01B3
        }
        return h
    }

    /// Server `server` dies: every link to it drops (in connection order), and the balancer sends
    /// no one there any more.
    func crash(_ server: Int) {
        guard alive.indices.contains(server), alive[server] else { return }
        alive[server] = false
        for id in links.keys.sorted() {
            guard let link = links[id], link.server == server else { continue }
            link.drop()
        }
    }

    /// Opens a connection to `target` (e.g. `/?roomId=r1&peerId=abc`). The returned link's
    /// `onOpen`/`onRejected` fire on the client side. The link's latencies are drawn from a
    /// stream seeded by `seed` (default: the network's seed and the connection's number).
    func connect(target: String, remoteAddress: String, seed: UInt64? = nil) -> NetworkLink {
        let id = nextConnectionID
        nextConnectionID += 1
        let link = NetworkLink(id: id, network: self, latency: latency,
                               random: SeededRandom(seed: seed ?? RandomStream.latency.seed(self.seed, -1, Int(id))))
        links[id] = link
        let delay = latency.sample(&link.random)
        scheduler.schedule(after: .nanoseconds(delay)) { [self, link] in
            self.arrive(link, target: target, remoteAddress: remoteAddress)
        }
        return link
    }

    private func arrive(_ link: NetworkLink, target: String, remoteAddress: String) {
        // A request on a link dropped meanwhile is lost with it: the server never sees it.
        guard !link.clientEnd.isClosed, !link.isDropped else {
            links[link.id] = nil
            return
        }
        guard let server = route(target) else {
            link.serverEnd.isClosed = true
            link.transmit(from: .server, .rejected(status: 503, reason: "no server alive"))
            links[link.id] = nil
            return
        }
        link.server = server
        let app = apps[server]
        let (path, query) = ConnectionRequest.parseTarget(target)
        let headers: [(name: String, value: String)] = [("host", "sim.invalid"), ("sec-websocket-protocol", "protoo")]
        tap.connectionRequested(link.id, at: scheduler.now, target: target, headers: headers, remoteAddress: remoteAddress)
        let request = ConnectionRequest(
            path: path, query: query, headers: headers, remoteAddress: remoteAddress,
            accept: { [unowned self] in
                self.tap.connectionAccepted(link.id, at: self.scheduler.now)
                link.serverEnd.isTapped = true
                self.serverTransports[link.id] = link.serverEnd
                link.transmit(from: .server, .open)
                return link.serverEnd
            },
            reject: { [unowned self] status, reason in
                self.tap.connectionRejected(link.id, at: self.scheduler.now, status: status, reason: reason)
                link.serverEnd.isClosed = true
                link.transmit(from: .server, .rejected(status: status, reason: reason))
                self.links[link.id] = nil
            })
        app.handleConnection(request)
        if request.isDeferred {
            // Decided later (`deferDecision()`), within the server's handshake timeout (10 s).
            scheduler.schedule(at: scheduler.now + .seconds(10)) {
                request.reject(status: 500, reason: "connection request not decided within the handshake timeout")
            }
        } else if request.decision == nil {
            request.reject(status: 500, reason: "connection request not handled")
        }
    }

    /// Forgets a link once both ends are closed.
    func retire(_ link: NetworkLink) {
        links[link.id] = nil
    }

    /// Removes a closed connection's server transport and returns its peer, if the app made one.
    /// Call it while the tap hears of the close: the peer is still the transport's delegate then.
    func takeServerPeer(_ id: ConnectionID) -> Peer? {
        serverTransports.removeValue(forKey: id)?.delegate as? Peer
    }

    /// Drops every link whose client matches, without close frames.
    func drop(_ link: NetworkLink) { link.drop() }

    /// Closes the server side of a link with code 4000, as a server-initiated close would.
    func serverClose(_ link: NetworkLink) {
        serverTransports[link.id]?.close(code: CloseCode.protoo, reason: "closed by protoo-server")
    }
}
