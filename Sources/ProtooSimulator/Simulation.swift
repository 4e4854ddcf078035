import Foundation
import Logging
@_exported import Protoo

/// One deterministic run: the real engine and a real app, simulated clients, an in-memory network,
/// all on one ``VirtualScheduler``. Wall time is read only to report speed, never to decide anything.
///
/// ```swift
/// let simulation = Simulation(configuration, scenario: chat)
/// try simulation.advance(to: Instant.zero + .seconds(30))   // step, look at `app`, inject faults
/// simulation.drop(peer: simulation.clients[0].peerId)
/// let report = try simulation.run()                         // on to the end; throws SimulationFailure
/// ```
public final class Simulation: ClientHost {
    /// The run's configuration (its `scenario` set to the scenario's name).
    public let configuration: SimulationConfiguration
    /// The virtual clock and event queue everything runs on.
    public let scheduler: VirtualScheduler
    /// The server's context: the app's time and randomness (the first server's, with several).
    public let serverContext: EngineContext
    /// Every server's context (``SimulationConfiguration/servers`` of them; the first is ``serverContext``).
    public let serverContexts: [EngineContext]
    /// The clients' context (a separate random stream, same scheduler).
    public let clientContext: EngineContext
    /// The app under test, built by the scenario's factory: cast it to look inside between steps
    /// (the first server's, with several).
    public let app: any ProtooApp
    /// Every server's app (``SimulationConfiguration/servers`` of them; the first is ``app``).
    public let apps: [any ProtooApp]
    /// What the run simulates: the app, the clients' script and the app's invariants.
    public let scenario: SimulationScenario
    /// Everything that crossed the server's edge: digest, counters, last events.
    public let log: EventLog
    /// Set in `init` once `self` exists (the network's tap needs the simulation): never `nil` after.
    private(set) var network: SimulatedNetwork!
    /// The simulated clients, in creation order (group by group), once ``prepare()`` ran.
    public private(set) var clients: [SimulatedClient] = []
    /// Extra command-line words that reproduce this run (set by the CLI).
    public var reproduceCommand: String?

    private var failure: SimulationFailure?
    private var nextToken = 0
    private var outstanding = Set<Int>()
    private var latencies: [Int64] = []
    private var clientRequests = 0, clientTimeouts = 0, clientErrors = 0
    private var reconnects = 0
    private var finishedClients = 0
    private let silenceLogs: Bool

    /// Builds a run of `scenario` on one server (`configuration.shards` must be 1;
    /// ``ShardedSimulation`` runs more). `tap` (e.g. a trace recorder) sees the same traffic as the
    /// event log. The run's ``SimulationConfiguration/scenario`` becomes the scenario's name.
    public convenience init(_ configuration: SimulationConfiguration, scenario: SimulationScenario,
                            tap: (any TrafficTap)? = nil, logger: Logger? = nil) {
        self.init(configuration, resolved: scenario, tap: tap, logger: logger)
    }

    init(_ configuration: SimulationConfiguration, resolved scenario: SimulationScenario,
                 tap: (any TrafficTap)?, logger: Logger?) {
        precondition(configuration.shards == 1, "configuration.shards is \(configuration.shards): run it with ShardedSimulation")
        var configuration = configuration
        configuration.scenario = .init(rawValue: scenario.name)
        self.configuration = configuration
        self.scenario = scenario
        let seed = configuration.seed
        scheduler = VirtualScheduler(shuffleSeed: configuration.shuffleSameInstant ? seed ^ 0x5348_5546 : nil)
        var quiet = Logger(label: "protoo.sim")
        quiet.logLevel = .critical
        silenceLogs = logger == nil
        precondition(configuration.servers >= 1, "configuration.servers is \(configuration.servers): at least 1")
        let clock = scheduler
        serverContexts = (0..<configuration.servers).map { server in
            // The first server draws as a single server always did; the others from their own streams.
            let random = server == 0 ? SeededRandom(seed: seed ^ 0x5345_5256) : RandomStream.server.random(seed, server)
            return EngineContext(scheduler: clock, random: random, logger: logger ?? quiet)
        }
        serverContext = serverContexts[0]
        clientContext = EngineContext(scheduler: scheduler, random: SeededRandom(seed: seed ^ 0x434C_4E54), logger: logger ?? quiet)
        apps = serverContexts.map { scenario.app($0) }
        app = apps[0]
        for context in serverContexts + [clientContext] {
            context.executor.reportsNondeterminism = true
        }
        log = EventLog(history: configuration.history, forward: tap)
        network = SimulatedNetwork(scheduler: scheduler, seed: seed ^ 0x4E45_5457, latency: configuration.latency, apps: apps, tap: log)
        log.onClosed = { [unowned self] id in self.serverConnectionClosed(id) }
        for context in serverContexts + [clientContext] {
            context.executor.onNondeterminism = { [unowned self] report in self.fail("nondeterminism", report.description) }
        }
    }

    // MARK: Running

    /// Runs the whole scenario. Throws ``SimulationFailure`` when an invariant breaks.
    /// `progress` is called about every 100k events with the fraction done.
    public func run(progress: ((Double) -> Void)? = nil) throws -> SimulationReport {
        let wallStart = ContinuousClock.now
        prepare()
        let end = endInstant
        try advance(to: end, progress: progress)
        try checkInvariants(final: true)
        if let failure { throw failure }
        let wall = ContinuousClock.now - wallStart
        return report(wall: Double(wall.nanoseconds) / 1e9)
    }

    private var prepared = false
    /// When the run ends: everyone leaves at `duration`, then `drainTime` lets closes settle.
    public var endInstant: Instant { Instant.zero + configuration.duration + configuration.drainTime }

    /// Creates the clients and schedules everything; ``run(progress:)`` does this itself.
    public func prepare() {
        guard !prepared else { return }
        prepared = true
        populate()
        scheduleInvariantChecks(until: endInstant)
    }

    /// Runs events up to `end` (for stepping a run by hand, e.g. to measure memory mid-run).
    public func advance(to end: Instant, progress: ((Double) -> Void)? = nil) throws {
        prepare()
        scheduler.adoptCurrentThread()
        var steps = 0
        while scheduler.step(through: end) {
            steps += 1
            if let failure { throw failure }
            if steps & 0x1FFFF == 0, let progress {
                progress(Double(scheduler.now.nanoseconds) / Double(end.nanoseconds))
            }
        }
        scheduler.run(until: end)
        if let failure { throw failure }
    }

    /// Creates the clients and schedules arrivals, faults and departures. Every client's draws
    /// (peer id, arrival, answer style, faults, latency, its own ``SimulatedClient/random``) come
    /// from streams keyed by its ``ClientKey``, so removing clients or faults shifts no other draw.
    private func populate() {
        let c = configuration
        for client in SimulatedClient.population(of: c, scenario: scenario, host: self) {
            let key = client.key
            client.stepLimit = c.stepLimits[key]
            clientsByKey[key] = client
            clients.append(client)
            scheduler.schedule(at: FaultPlan.arrival(of: key, in: c)) { [unowned client] in client.start() }
            scheduler.schedule(at: Instant.zero + c.duration) { [unowned client] in client.leave() }
        }
        faultSchedule = FaultPlan.schedule(for: c)
        for fault in faultSchedule { schedule(fault) }
    }

    /// The faults this run applies, in time order (drawn before it starts, or the configuration's
    /// ``SimulationConfiguration/faultSchedule``), once ``prepare()`` ran.
    public private(set) var faultSchedule: [PlannedFault] = []
    private var clientsByKey: [ClientKey: SimulatedClient] = [:]

    /// The client of `key`, if the run has one.
    public func client(_ key: ClientKey) -> SimulatedClient? { clientsByKey[key] }

    private func schedule(_ fault: PlannedFault) {
        scheduler.schedule(at: Instant.zero + fault.at) { [unowned self] in
            guard let key = fault.client else {
                if fault.kind == .serverCrash, let server = fault.server {
                    // The last server standing never dies (the run would have nowhere to go).
                    guard self.network.aliveCount > 1, self.network.alive.indices.contains(server), self.network.alive[server] else { return }
                    self.recordEvent("fault: \(fault)")
                    return self.network.crash(server)
                }
                self.recordEvent("fault: \(fault)")
                for app in self.apps { app.shutdown() }
                return
            }
            guard let client = self.clientsByKey[key] else { return }
            self.recordEvent("fault: \(fault) (\(client.peerId)\(client.link.map { " #\($0.id)" } ?? ""))")
            switch fault.kind {
            case .drop: client.link?.drop()
            case .serverClose: if let link = client.link { self.network.serverClose(link) }
            case .clog, .partition: client.link?.clog(until: self.scheduler.now + (fault.length ?? .zero))
            case .leave: client.leave()
            case .shutdownApp: for app in self.apps { app.shutdown() }
            case .serverCrash: break  // a server's, not a client's (above)
            }
        }
    }

    // MARK: Faults by hand

    /// The client of `peer` (its peer id), if the run has one.
    public func client(peer: String) -> SimulatedClient? { clients.first { $0.peerId == peer } }

    /// Drops `peer`'s connection now, without a close frame (it reconnects and re-joins).
    public func drop(peer: String) {
        recordEvent("fault by hand: drop of \(peer)")
        client(peer: peer)?.link?.drop()
    }

    /// Holds `peer`'s traffic both ways for `duration` from now, then delivers it in order.
    public func clog(peer: String, for duration: Duration) {
        recordEvent("fault by hand: clog of \(peer) for \(duration)")
        client(peer: peer)?.link?.clog(until: scheduler.now + duration)
    }

    /// Cuts `peers` off (their links held) for `duration` from now: a network partition.
    public func partition(_ peers: [String], for duration: Duration) {
        recordEvent("fault by hand: partition of \(peers.joined(separator: ", ")) for \(duration)")
        for peer in peers { client(peer: peer)?.link?.clog(until: scheduler.now + duration) }
    }

    /// The server closes `peer`'s connection with 4000 (a protoo-client does not reconnect).
    public func serverClose(peer: String) {
        recordEvent("fault by hand: server close of \(peer)")
        if let link = client(peer: peer)?.link { network.serverClose(link) }
    }

    // MARK: Bookkeeping called by clients (the clients' host)

    package func requestStarted(_ method: String) -> Int {
        nextToken += 1
        outstanding.insert(nextToken)
        clientRequests += 1
        return nextToken
    }

    package func requestFinished(_ token: Int, latency: Duration, failure: ProtooError?) {
        guard outstanding.remove(token) != nil else {
            fail("request-completed-twice", "client request \(token) completed twice")
            return
        }
        switch failure {
        case nil: latencies.append(latency.nanoseconds)
        case .requestTimeout?: clientTimeouts += 1
        case .some: clientErrors += 1
        }
    }

    package func recordReconnect() { reconnects += 1 }
    package func clientFinished(_ client: SimulatedClient) { finishedClients += 1 }
    package func notificationSent(_ method: String) {}
    package func clientOpened(_ client: SimulatedClient, peer: Peer) {}
    package func scriptFailed(_ key: ClientKey, _ text: String) { fail("script-error", text) }
    package var retryPolicy: SimulatedClient.RetryPolicy { configuration.retry }

    package func connect(_ client: SimulatedClient, attempt: Int) {
        let key = client.key
        let seed = RandomStream.latency.seed(configuration.seed, key.room, key.slot, attempt)
        let link = network.connect(target: client.target, remoteAddress: "10.\(key.room % 250).\(key.slot % 250).1:\(40000 + client.opens)", seed: seed)
        client.link = link
        // No weak references here: a weak reference gives its object a side table, and every later
        // retain and release of it (the link is on the message path) takes the slow path.
        // `unowned link`: the closure is stored in the link and only the link calls it.
        // `unowned client`: clients live as long as the simulation (it keeps them all).
        link.onOpen = { [unowned client, unowned link] in
            client.connectionOpened(link.clientEnd)
        }
        link.onRejected = { [unowned client] status, _ in
            client.connectionFailed(status: status)
        }
    }

    package func connectionEnded(_ client: SimulatedClient) {
        if let link = client.link { network.retire(link) }
    }

    /// Adds a simulator-side note (an injected fault, a client's failed attempt) to the recent
    /// history a failure report shows. Notes are not part of the digest, which covers only what
    /// crossed the server's edge.
    package func recordEvent(_ text: String) { log.note(at: scheduler.now, text) }

    // MARK: Invariants

    /// Records the run's first broken invariant: `name` identifies it (a scenario invariant's
    /// name, or a built-in's such as `request-completed-twice`), `text` says what broke.
    func fail(_ name: String, _ text: String) {
        guard failure == nil else { return }
        let c = configuration
        let command = reproduceCommand ?? c.commandLine
        failure = SimulationFailure(invariant: text, seed: c.seed, time: scheduler.now,
                                    lastEvents: log.lastEvents.map(\.description), reproduce: command,
                                    name: name, events: scheduler.executedCount)
    }

    private func serverConnectionClosed(_ id: ConnectionID) {
        // The tap hears of the close first: the peer is taken now, and checked once it has
        // processed the close (same turn, after the tap).
        // `unowned`, not `weak`: a weak reference would put the simulation on the slow
        // reference-counting path; the scheduler (owned by the simulation) never outlives it running.
        guard let peer = network.takeServerPeer(id) else { return }
        scheduler.enqueue { [unowned self] in
            if peer.pendingRequestCount != 0 {
                self.fail("server-peer-closed-with-pending-requests", "server peer \(peer.id) closed with \(peer.pendingRequestCount) pending requests")
            }
        }
    }

    private func scheduleInvariantChecks(until end: Instant) {
        func next(_ at: Instant) {
            guard at < end else { return }
            scheduler.schedule(at: at) { [unowned self] in
                try? self.checkInvariants(final: false)
                next(at + self.configuration.invariantInterval)
            }
        }
        next(Instant.zero + configuration.invariantInterval)
    }

    /// Checks the run's invariants now; `final` adds the end-of-run ones.
    public func checkInvariants(final: Bool) throws {
        // Every virtual second: walks the rooms and peers in place (no arrays, no lookups).
        for app in apps {
            (app as? any SimulationInspectable)?.forEachOpenRoom { room in
                if room.isClosed { fail("closed-room-listed", "a closed room is still listed as open") }
                if let peer = room.firstPeer(where: \.isClosed) { fail("closed-peer-in-room", "closed peer \(peer.id) still in a room") }
            }
            for invariant in scenario.invariants {
                if let broken = invariant.check(app) { fail(invariant.name, "invariant '\(invariant.name)': \(broken)") }
            }
        }
        for invariant in scenario.clientInvariants {
            for client in clients {
                if let broken = invariant.check(client) {
                    fail(invariant.name, "client invariant '\(invariant.name)' of \(client.peerId) (\(client.key)): \(broken)")
                }
            }
        }
        if apps.count > 1 { checkNoRoomIsSplit() }
        if final {
            if !outstanding.isEmpty { fail("requests-never-completed", "\(outstanding.count) client requests never completed (neither answered nor timed out)") }
            let left = openRooms.reduce(0) { $0 + $1.peerCount }
            if left != 0 { fail("peers-left-in-rooms", "\(left) peers still in rooms after everyone left") }
            if scenario.roomsCloseWhenEmpty, !openRooms.isEmpty {
                fail("rooms-left-open", "\(openRooms.count) rooms still open after everyone left")
            }
            if finishedClients != clients.count {
                let stuck = clients.filter { $0.state != .closed }.prefix(5).map(\.statusDescription)
                fail("clients-never-finished", "\(clients.count - finishedClients) clients never finished: \(stuck.joined(separator: "; "))")
            }
        }
        if let failure { throw failure }
    }

    private var openRooms: [Room] { apps.flatMap { ($0 as? any SimulationInspectable)?.openRooms ?? [] } }

    /// With several servers: no room has connected clients on two live servers (clients still on
    /// a server that died are on their way elsewhere: their reconnects have not settled).
    private func checkNoRoomIsSplit() {
        var servers: [String: Int] = [:]
        for client in clients where client.state == .open {
            guard let link = client.link, !link.isDropped, network.alive[link.server] else { continue }
            let room = ConnectionRequest.parseTarget(client.target).query.first { $0.name == "roomId" }?.value ?? client.target
            if let other = servers[room], other != link.server {
                return fail("room-split", "room \(room) has peers on servers \(min(other, link.server)) and \(max(other, link.server))")
            }
            servers[room] = link.server
        }
    }

    // MARK: Report

    private func report(wall: Double) -> SimulationReport {
        SimulationReport(configuration, tally: tally, wall: wall)
    }

    /// What the run counted so far, as a report (wall time 0): the summary of a run that broke
    /// an invariant, say, whose ``SimulationReport/digest`` covers the events up to the break.
    public func reportSoFar() -> SimulationReport { report(wall: 0) }

    /// What the run has counted so far (a report's figures; sharded runs add them up).
    var tally: SimulationTally {
        SimulationTally(counters: log.counters, latencies: latencies, clientRequests: clientRequests,
                        clientTimeouts: clientTimeouts, clientErrors: clientErrors, reconnects: reconnects,
                        events: scheduler.executedCount, virtualNanoseconds: scheduler.now.nanoseconds,
                        digest: log.digest.hex)
    }

    /// The process's current resident set size (Linux `/proc/self/statm`), or 0 if unknown.
    public static func residentMemoryMB() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Double(fields[1]) else { return 0 }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
    }

    /// The process's peak resident set size: `VmHWM` of `/proc/self/status` on Linux (this
    /// program's own), else `getrusage` (whose `ru_maxrss` survives `exec`, so a process spawned by
    /// a big one would report its parent's peak).
    public static func peakMemoryMB() -> Double {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let peak = highWaterMarkMB(status: status) {
            return peak
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    /// The `VmHWM:` line of a `/proc/<pid>/status` text (`VmHWM:\t  2192 kB`), in MB.
    static func highWaterMarkMB(status: String) -> Double? {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kB = line.dropFirst("VmHWM:".count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap({ Double($0) })
        else { return nil }
        return kB / 1024
    }
}
