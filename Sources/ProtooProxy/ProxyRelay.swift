import Logging
import Protoo
import ProtooWebSocketCore
import ProtooWebSocket

/// One client connection relayed to its own upstream connection, on one scheduler (the server's
/// event loop): every message passed on unchanged, as one message (the WebSocket layer reassembles
/// fragments and re-frames: protoo cannot tell), closes passed through both ways, faults applied.
///
/// Close mapping: a close frame from one side (code C, reason R) closes the other side with C and
/// R (a frame without a code as 1000); a side lost without a close frame (TCP reset, keep-alive
/// timeout) drops the other side without one; a side the proxy itself ended (a protocol violation
/// or limit it enforced) closes the other with 1001.
///
/// The tap, if any, records what the upstream server got and sent: a message towards it as it is
/// delivered (so not at all when a fault loses it), a message from it as it arrives, and the
/// upstream connection's close seen from the server's side. A trace recorder also gets a `fault`
/// marker for every injected fault.
final class ProxyRelay: TransportDelegate {
    let id: ConnectionID
    private let client: any Transport
    private let upstream: any Transport
    private let scheduler: any Scheduler
    private let tap: (any TrafficTap)?
    private let logger: Logger
    /// Notes an injected fault in the recording (a trace marker), if the tap is a trace recorder.
    private let markFault: ((_ connection: ConnectionID, _ text: String) -> Void)?
    /// Notes in the recording that a close the proxy made on the upstream side has taken effect
    /// (see ``UpstreamGate``), if the tap is a trace recorder.
    private let markCloseCompleted: ((_ connection: ConnectionID) -> Void)?
    /// Orders what goes upstream around the proxy's upstream closes (`nil`: no ordering).
    private let gate: UpstreamGate?
    /// The server's limit on lines every relay could write.
    private let floodGuard: LogFloodGuard?
    private var faults: ConnectionFaults?
    private var toUpstream = FaultPipe()
    private var toClient = FaultPipe()
    private var faultTimer: TimerHandle?
    private var logLimiter = LogLimiter<String>()
    /// A close went (or waits in a pipe) one way: nothing new is relayed.
    private var ending = false
    private var clientClosed = false
    private var upstreamClosed = false
    /// Called once both sides have closed.
    var onFinished: ((ConnectionID) -> Void)?

    init(id: ConnectionID, client: any Transport, upstream: any Transport, scheduler: any Scheduler,
         tap: (any TrafficTap)?, faults: ConnectionFaults?, logger: Logger,
         markFault: ((_ connection: ConnectionID, _ text: String) -> Void)? = nil,
         markCloseCompleted: ((_ connection: ConnectionID) -> Void)? = nil, gate: UpstreamGate? = nil,
         floodGuard: LogFloodGuard? = nil) {
        self.floodGuard = floodGuard
        self.id = id
        self.client = client
        self.upstream = upstream
        self.scheduler = scheduler
        self.tap = tap
        self.faults = faults
        self.logger = logger
        self.markFault = markFault
        self.markCloseCompleted = markCloseCompleted
        self.gate = gate
    }

    /// The upstream side as a WebSocket connection still open (to ping the server through it).
    var openUpstream: WebSocketConnection? {
        guard let socket = upstream as? WebSocketConnection, !socket.isClosed else { return nil }
        return socket
    }

    /// Starts relaying (and the timed faults).
    func start() {
        client.delegate = self
        upstream.delegate = self
        guard var plan = faults else { return }
        plan.start(at: scheduler.now)
        faults = plan
        armNextFault()
    }

    /// The proxy shuts down: the upstream side is closed with 1001 (the server closes the client side).
    func shutDown() {
        guard !ending else { return }
        ending = true
        stopFaults()
        closeUpstream { $0.close(code: CloseCode.goingAway, reason: "protoo proxy shutting down") }
    }

    // MARK: TransportDelegate

    func transport(_ transport: any Transport, didReceive text: String) {
        if transport === upstream {
            tap?.messageSent(id, at: scheduler.now, text: text)
            relay(.message(text), towardsUpstream: false)
        } else {
            relay(.message(text), towardsUpstream: true)
        }
    }

    func transport(_ transport: any Transport, didClose event: TransportCloseEvent) {
        let fromUpstream = transport === upstream
        if fromUpstream {
            upstreamClosed = true
            tap?.connectionClosed(id, at: scheduler.now, event: Self.serverView(of: event))
        } else {
            clientClosed = true
        }
        if !ending {
            ending = true
            faultTimer?.cancel()
            faultTimer = nil
            let item: FaultPipe.Item
            switch event.initiator {
            case .remote: item = .close(code: event.code ?? CloseCode.normal, reason: event.reason)
            case .network: item = .abort
            case .local:
                let side = fromUpstream ? "upstream" : "client"
                item = .close(code: CloseCode.goingAway, reason: String("protoo proxy: \(side) connection ended: \(event.reason)".utf8.prefix(120)) ?? "protoo proxy")
            }
            logger.debug("relayed close", metadata: ["from": "\(fromUpstream ? "upstream" : "client")", "code": "\(event.code.map(String.init) ?? "none")",
                                                     "initiator": "\(event.initiator)"])
            relay(item, towardsUpstream: !fromUpstream)
        }
        if clientClosed, upstreamClosed {
            stopFaults()
            onFinished?(id)
            onFinished = nil
        }
    }

    /// The upstream connection's close as its server saw it: the proxy is that server's client.
    /// A close frame from the proxy is the client's; the proxy ending TCP without one (its client
    /// dropped, an injected drop) is a network loss; the upstream connection lost without the
    /// proxy ending it is the server's drop (a server closing TCP without a close frame, or
    /// crashing), recorded as `server` with no code so that replays expect it from the server.
    static func serverView(of event: TransportCloseEvent) -> TransportCloseEvent {
        let initiator: TransportCloseEvent.Initiator = switch (event.initiator, event.code) {
        case (.local, nil): .network
        case (.local, _): .remote
        case (.remote, _): .local
        case (.network, _): .local
        }
        return TransportCloseEvent(code: event.code, reason: event.reason, initiator: initiator)
    }

    // MARK: Relaying

    private func relay(_ item: FaultPipe.Item, towardsUpstream up: Bool) {
        // Without faults nothing ever waits: straight through.
        guard var plan = faults else { return deliver(item, towardsUpstream: up) }
        let delay: Duration
        if case .message(let text) = item {
            let decision = plan.nextMessage(towardsUpstream: up)
            faults = plan
            if decision.lost {
                logLimited("fault: message lost", metadata: ["towards": "\(up ? "upstream" : "client")", "bytes": "\(text.utf8.count)"])
                markFault?(id, "message lost towards \(up ? "upstream" : "client") (\(text.utf8.count) bytes)")
                return
            }
            delay = decision.delay
        } else {
            delay = plan.faults.latency
        }
        let pipe: ReferenceWritableKeyPath<ProxyRelay, FaultPipe> = up ? \.toUpstream : \.toClient
        let now = scheduler.now
        if delay == .zero, self[keyPath: pipe].isClear(at: now) {
            return deliver(item, towardsUpstream: up)
        }
        self[keyPath: pipe].append(item, now: now, delay: delay)
        pump(towardsUpstream: up)
    }

    /// Delivers what is due in one direction, then arms its timer for the next.
    private func pump(towardsUpstream up: Bool) {
        let pipe: ReferenceWritableKeyPath<ProxyRelay, FaultPipe> = up ? \.toUpstream : \.toClient
        let now = scheduler.now
        while let item = self[keyPath: pipe].popDue(at: now) {
            deliver(item, towardsUpstream: up)
        }
        guard let next = self[keyPath: pipe].nextDelivery, self[keyPath: pipe].timerAt != next else { return }
        self[keyPath: pipe].timer?.cancel()
        self[keyPath: pipe].timerAt = next
        self[keyPath: pipe].timer = scheduler.schedule(at: next) { [self] in
            self[keyPath: pipe].timer = nil
            self[keyPath: pipe].timerAt = nil
            self.pump(towardsUpstream: up)
        }
    }

    private func deliver(_ item: FaultPipe.Item, towardsUpstream up: Bool) {
        if up, let gate, gate.isHolding { return gate.run { [self] in self.deliverNow(item, towardsUpstream: true) } }
        deliverNow(item, towardsUpstream: up)
    }

    private func deliverNow(_ item: FaultPipe.Item, towardsUpstream up: Bool) {
        if up {
            switch item {
            case .message: break
            case .close(let code, let reason): return closeUpstream { $0.close(code: code, reason: reason) }
            case .abort: return closeUpstream { $0.abort() }
            }
        }
        let target = up ? upstream : client
        switch item {
        case .message(let text):
            guard !target.isClosed else { return }
            if up { tap?.messageReceived(id, at: scheduler.now, text: text) }
            target.send(text)
        case .close(let code, let reason):
            target.close(code: code, reason: reason)
        case .abort:
            target.abort()
        }
    }

    // MARK: Timed faults

    private func armNextFault() {
        guard var plan = faults, let next = plan.nextEvent() else { return }
        faults = plan
        faultTimer = scheduler.schedule(at: next.at) { [self] in
            self.faultTimer = nil
            self.strike(next.event)
        }
    }

    private func strike(_ event: ConnectionFaults.Event) {
        guard !ending else { return }
        logger.notice("fault injected", metadata: ["fault": "\(event)"])
        markFault?(id, event == .clog ? "clog for \(faults?.faults.clogDuration ?? .zero)" : "\(event)")
        switch event {
        case .drop:
            ending = true
            stopFaults()
            client.abort()
            closeUpstream { $0.abort() }
        case .serverClose:
            ending = true
            stopFaults()
            client.close(code: CloseCode.protoo, reason: "closed by protoo-server")
            closeUpstream { $0.close(code: CloseCode.goingAway, reason: "protoo proxy: injected server close") }
        case .clog:
            let until = scheduler.now + (faults?.faults.clogDuration ?? .zero)
            toUpstream.heldUntil = until
            toClient.heldUntil = until
            armNextFault()
        }
    }

    /// Closes (or drops) the upstream side, in order with what other relays send upstream, and lets
    /// the close settle (``UpstreamGate``) before anything else goes upstream.
    private func closeUpstream(_ close: @escaping (any Transport) -> Void) {
        guard let gate else {
            close(upstream)
            markCloseCompleted?(id)
            return
        }
        gate.run { [self] in
            guard !self.upstream.isClosed else { return }
            let closed = (self.upstream as? WebSocketConnection)?.closeFuture
            close(self.upstream)
            let id = self.id, mark = self.markCloseCompleted
            gate.settle(id, closed: closed) { mark?(id) }
        }
    }

    /// Cancels the timed faults and forgets what waits in the pipes.
    private func stopFaults() {
        faultTimer?.cancel()
        faultTimer = nil
        toUpstream.clear()
        toClient.clear()
    }

    private func logLimited(_ message: String, metadata: Logger.Metadata) {
        if let floodGuard { return floodGuard.log(.info, message, metadata: metadata, through: logger) }
        guard case .log(let suppressed) = logLimiter.admit(message, at: scheduler.now) else { return }
        var metadata = metadata
        if suppressed > 0 { metadata["suppressed"] = "\(suppressed)" }
        logger.info("\(message)", metadata: metadata)
    }
}
