import Logging
import NIOCore
import Protoo
import ProtooClient
import ProtooSimulator
import ProtooWebSocketCore

/// The scenario clients of one event loop and everything they report: their real connections
/// (dialled here, wrapped in ``FaultyLink``s), the run's faults on them, their statistics and
/// their invariants. The ``ClientHost`` of those clients; it and they live on the loop only
/// (reached through `NIOLoopBound`).
final class LoopHost: ClientHost, EngineObserver {
    /// One client's lasting state: its recent messages and its open link.
    final class ClientState {
        let history = MessageHistory()
        var link: FaultyLink?
    }

    let clientContext: EngineContext
    var retryPolicy: SimulatedClient.RetryPolicy { configuration.clients.retry }
    private let configuration: ScenarioLoad.Configuration
    private let scenario: SimulationScenario
    private let base: WebSocketURL
    private let loop: any EventLoop
    private let options: WebSocketDialer.Options
    private let progress: ScenarioLoadProgress?
    private var clients: [SimulatedClient] = []
    private var byKey: [ClientKey: SimulatedClient] = [:]
    private var tally = ScenarioLoadTally()
    private var outstanding: [Int: String] = [:]
    private var nextToken = 0
    private var origin = Instant.zero
    private var over = false
    private var completed = false
    private var promise: EventLoopPromise<ScenarioLoadTally>?
    private var drainTimer: TimerHandle?
    private var checkTimer: TimerHandle?
    /// Client invariants already broken, by invariant and client: each counts once.
    private var broken: Set<String> = []
    private var reported = (requests: 0, connections: 0, breaks: 0)
    /// Connections open now.
    private var open = 0

    init(loop: any EventLoop, index: Int, configuration: ScenarioLoad.Configuration, scenario: SimulationScenario,
         keys: [ClientKey], base: WebSocketURL, options: WebSocketDialer.Options, progress: ScenarioLoadProgress?) {
        self.loop = loop
        self.configuration = configuration
        self.scenario = scenario
        self.base = base
        self.options = options
        self.progress = progress
        let scheduler = NIOEventLoopScheduler(eventLoop: loop)
        let random = SeededRandom(seed: RandomStream.client.seed(configuration.clients.seed, -1 - index))
        clientContext = EngineContext(scheduler: scheduler, random: random, logger: configuration.logger)
        clientContext.observer = self
        var population = configuration.clients
        population.population = keys
        clients = SimulatedClient.population(of: population, scenario: scenario, host: self)
        for client in clients { byKey[client.key] = client }
        tally.clients = clients.count
    }

    private var now: Instant { clientContext.scheduler.now }

    // MARK: The run

    /// Starts the clients' arrivals, departures, faults and invariant checks; the future completes
    /// once every client is done (or the drain timeout passed) with what they counted.
    func start() -> EventLoopFuture<ScenarioLoadTally> {
        let promise = loop.makePromise(of: ScenarioLoadTally.self)
        self.promise = promise
        let scheduler = clientContext.scheduler
        origin = scheduler.now
        var c = configuration.clients
        c.population = clients.map(\.key)
        for client in clients {
            scheduler.schedule(at: origin + (FaultPlan.arrival(of: client.key, in: c) - .zero)) { [unowned client] in client.start() }
            scheduler.schedule(at: origin + c.duration) { [unowned client] in client.leave() }
        }
        for fault in FaultPlan.schedule(for: c) {
            scheduler.schedule(at: origin + fault.at) { [unowned self] in self.apply(fault) }
        }
        // Just before everyone leaves: how many connections the loop holds.
        scheduler.schedule(at: origin + (c.duration - .milliseconds(1))) { [unowned self] in self.tally.connectionsHeld = self.open }
        scheduler.schedule(at: origin + c.duration) { [unowned self] in self.durationOver() }
        scheduleCheck()
        if clients.isEmpty { finish() }
        return promise.futureResult
    }

    /// Everyone leaves now (a SIGINT): the figures are up to here.
    func stop() {
        guard !over else { return }
        for client in clients { client.leave() }
        durationOver()
    }

    private func durationOver() {
        guard !over else { return }
        over = true
        drainTimer = clientContext.scheduler.schedule(after: configuration.drainTimeout) { [unowned self] in self.finish() }
        if tally.clientsFinished == clients.count { clientContext.scheduler.enqueue { [unowned self] in self.finish() } }
    }

    private func scheduleCheck() {
        checkTimer = clientContext.scheduler.schedule(after: configuration.clients.invariantInterval) { [unowned self] in
            self.checkClientInvariants()
            self.reportProgress()
            if !self.completed { self.scheduleCheck() }
        }
    }

    private func finish() {
        guard !completed else { return }
        completed = true
        drainTimer?.cancel()
        checkTimer?.cancel()
        checkClientInvariants()
        let stuck = clients.filter { $0.state != .closed }
        if !stuck.isEmpty {
            recordBreak("clients-never-finished", nil,
                        "\(stuck.count) clients still connected or connecting \(configuration.drainTimeout) after everyone left: "
                        + stuck.prefix(3).map { "\($0.peerId) (\($0.key)) \($0.state)" }.joined(separator: ", "))
        } else if !outstanding.isEmpty {
            recordBreak("requests-never-completed", nil, "\(outstanding.count) client requests never completed (neither answered nor timed out)")
        }
        for client in clients {
            guard let state = client.attachment as? ClientState, let link = state.link else { continue }
            tally.messagesSent += link.sent
            tally.messagesReceived += link.received
            state.link = nil
            link.abort()
        }
        reportProgress()
        promise?.succeed(tally)
        promise = nil
    }

    private func reportProgress() {
        guard let progress else { return }
        let requests = tally.measurements.requests.values.reduce(0, +)
        let breaks = tally.breakCounts.values.reduce(0, +)
        progress.add(requests: requests - reported.requests, connections: tally.connections - reported.connections, breaks: breaks - reported.breaks)
        reported = (requests, tally.connections, breaks)
    }

    // MARK: Faults

    private func apply(_ fault: PlannedFault) {
        let kind = fault.kind.rawValue
        guard let key = fault.client, let client = byKey[key] else {
            tally.faultsMissed[kind, default: 0] += 1
            return
        }
        let link = (client.attachment as? ClientState)?.link
        let open = link.map { !$0.isClosed } ?? false
        switch fault.kind {
        case .drop where open: link?.drop()
        case .serverClose where open: link?.serverClose()
        case .clog where open, .partition where open: link?.clog(until: now + (fault.length ?? .zero))
        case .leave: client.leave()
        default:
            // No open connection to fault (connecting, or waiting to retry), or a server-side fault.
            tally.faultsMissed[kind, default: 0] += 1
            return
        }
        tally.faultsInjected[kind, default: 0] += 1
        (client.attachment as? ClientState)?.history.record(.closed, "fault: \(kind)\(fault.length.map { " for \($0)" } ?? "")", at: now)
    }

    // MARK: Invariants

    private func checkClientInvariants() {
        for invariant in scenario.clientInvariants {
            tally.invariantChecks[invariant.name, default: 0] += clients.count
            for client in clients {
                guard let problem = invariant.check(client) else { continue }
                guard broken.insert("\(invariant.name)\u{0}\(client.key)").inserted else { continue }
                recordBreak(invariant.name, client, problem)
            }
        }
    }

    private func violation(_ violation: ProtocolViolation, by client: SimulatedClient) {
        switch violation.kind {
        case .lateResponse: tally.lateResponses += 1
        case .unknownResponse: recordBreak("response-to-unknown-request", client, violation.description)
        case .duplicateResponse: recordBreak("request-answered-twice", client, violation.description)
        case .invalidMessage: recordBreak("invalid-message", client, violation.description)
        }
    }

    private func recordBreak(_ name: String, _ client: SimulatedClient?, _ detail: String) {
        let lines = (client?.attachment as? ClientState)?.history.lines(since: origin) ?? []
        tally.recordBreak(InvariantBreak(invariant: name, client: client.map { "\($0.key)" } ?? "", peerId: client?.peerId ?? "",
                                         atSeconds: Double((now - origin).nanoseconds) / 1e9, detail: detail, lastMessages: lines))
    }

    // MARK: ClientHost

    func connect(_ client: SimulatedClient, attempt: Int) {
        let state: ClientState
        if let existing = client.attachment as? ClientState {
            state = existing
        } else {
            state = ClientState()
            client.attachment = state
        }
        let url = ScenarioTarget.url(base, target: client.target)
        let jitter = SeededRandom(seed: RandomStream.linkJitter.seed(configuration.clients.seed, client.key.room, client.key.slot, attempt))
        let scheduler = clientContext.scheduler
        WebSocketDialer.dial(url, options: options, eventLoop: loop) { [unowned self, unowned client] outcome in
            switch outcome {
            case .opened(let socket):
                let link = FaultyLink(socket: socket, scheduler: scheduler, latency: configuration.latency, jitter: configuration.jitter,
                                      random: jitter, history: state.history)
                state.link = link
                tally.connections += 1
                open += 1
                tally.peakConnections = max(tally.peakConnections, open)
                client.connectionOpened(link)
            case .refused(let status, let reason):
                tally.attemptsFailed += 1
                tally.refusals["\(status)", default: 0] += 1
                state.history.record(.closed, "refused: \(status) \(reason)", at: now)
                client.connectionFailed(status: status)
            case .failed(let reason):
                tally.attemptsFailed += 1
                state.history.record(.closed, "no connection: \(reason)", at: now)
                client.connectionFailed(status: 0)
            }
        }
    }

    func clientOpened(_ client: SimulatedClient, peer: Peer) {
        peer.onProtocolViolation { [unowned self, unowned client] violation in self.violation(violation, by: client) }
    }

    func connectionEnded(_ client: SimulatedClient) {
        guard let state = client.attachment as? ClientState, let link = state.link else { return }
        open -= 1
        tally.messagesSent += link.sent
        tally.messagesReceived += link.received
        state.link = nil
    }

    func requestStarted(_ method: String) -> Int {
        nextToken += 1
        outstanding[nextToken] = method
        tally.measurements.requests[method, default: 0] += 1
        return nextToken
    }

    func requestFinished(_ token: Int, latency: Duration, failure: ProtooError?) {
        guard let method = outstanding.removeValue(forKey: token) else {
            return recordBreak("request-completed-twice", nil, "client request \(token) completed twice")
        }
        if let failure {
            tally.measurements.errors[method, default: 0] += 1
            tally.errorsByMethod[method, default: [:]][ScenarioLoadTally.errorKey(failure), default: 0] += 1
            // An error response is an answer: its latency counts.
            guard failure.errorCode == .rejected else { return }
        }
        tally.measurements.recordLatency(method: method, nanoseconds: UInt64(max(0, latency.nanoseconds)))
    }

    func notificationSent(_ method: String) { tally.notificationsSent[method, default: 0] += 1 }
    func recordEvent(_ text: String) {}
    func recordReconnect() { tally.reconnects += 1 }

    func clientFinished(_ client: SimulatedClient) {
        tally.clientsFinished += 1
        if client.gaveUp { tally.clientsGaveUp += 1 }
        if over, tally.clientsFinished == clients.count {
            clientContext.scheduler.enqueue { [unowned self] in self.finish() }
        }
    }

    func scriptFailed(_ key: ClientKey, _ text: String) { recordBreak("script-error", byKey[key], text) }

    // MARK: EngineObserver (the clients' peers)

    func peerOpened() {}
    func peerClosed() {}
    func roomOpened() {}
    func roomClosed() {}
    func requestAnswered(method: String, errorCode: Int?, after: Duration) { tally.serverRequestsAnswered[method, default: 0] += 1 }
    func notificationReceived(method: String) { tally.notificationsReceived[method, default: 0] += 1 }
}
