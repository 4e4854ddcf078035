import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import NIOWebSocket
import Protoo
import ProtooWebSocketCore

/// The server's state on its single event loop: the engine context, the app, the open channels.
/// Not `Sendable`: reached through `NIOLoopBound` from NIO's callbacks.
final class ServerCore {
    let context: EngineContext
    let app: any ProtooApp
    let configuration: ProtooServer.Configuration
    let eventLoop: any EventLoop
    private var logger: Logger { configuration.logger }
    private(set) var accepting = true
    private var appShutDown = false
    private var nextConnectionID: ConnectionID = 1
    private var channels: [ObjectIdentifier: (channel: any Channel, outcome: UpgradeOutcome)] = [:]
    /// Connections accepted whose upgrade has not ended yet.
    private var pendingHandshakes = 0
    /// Bytes held in unfinished messages, over all connections.
    let partialMessages: PartialMessageBudget
    /// Unsent bytes over all connections (clients that do not read).
    let outbound: OutboundBudget
    /// Server-wide lines a flood of connections could repeat: one per kind per 10 s, with a count.
    /// The server's metrics (``ProtooServer/Configuration/metricsEnabled``), `nil` when off.
    let metrics: ServerMetrics?
    /// What sees the traffic: the metrics (forwarding to the configured tap), or that tap alone.
    let tap: (any TrafficTap & Sendable)?

    init(configuration: ProtooServer.Configuration, factory: ProtooAppFactory, eventLoop: any EventLoop) {
        self.configuration = configuration
        self.eventLoop = eventLoop
        partialMessages = PartialMessageBudget(limit: configuration.maxPartialMessageBytes)
        outbound = OutboundBudget(limit: configuration.maxOutboundBytes, eventLoop: eventLoop)
        let random = configuration.randomSeed.map { SeededRandom(seed: $0) } ?? .fromSystemEntropy()
        context = EngineContext(scheduler: NIOEventLoopScheduler(eventLoop: eventLoop), random: random, logger: configuration.logger)
        context.floodGuard = LogFloodGuard(scheduler: context.scheduler, logger: configuration.logger, interval: configuration.logFloodInterval)
        if configuration.metricsEnabled {
            let metrics = ServerMetrics(forwardingTo: configuration.trafficTap, methods: configuration.metricsMethods)
            self.metrics = metrics
            tap = metrics
            context.observer = metrics
        } else {
            metrics = nil
            tap = configuration.trafficTap
        }
        app = factory(context)
    }

    /// Builds a new TCP connection's pipeline: TLS, HTTP with the WebSocket upgrader, the refusal
    /// handler; and arms its handshake deadline.
    /// - Throws: ``ConnectionRefusedAtAccept`` when too many handshakes are unfinished (NIO closes the connection).
    func initialize(_ channel: any Channel, ssl: NIOSSLContext?) throws {
        guard pendingHandshakes < configuration.maxPendingHandshakes else {
            logLimited("closing new connections at once: too many unfinished WebSocket handshakes",
                       metadata: ["maxPendingHandshakes": "\(configuration.maxPendingHandshakes)"])
            throw ConnectionRefusedAtAccept.tooManyPendingHandshakes(limit: configuration.maxPendingHandshakes)
        }
        let sync = channel.pipeline.syncOperations
        if let ssl { try sync.addHandler(NIOSSLServerHandler(context: ssl)) }
        let outcome = UpgradeOutcome()
        let boundOutcome = NIOLoopBound(outcome, eventLoop: eventLoop)
        let boundSelf = NIOLoopBound(self, eventLoop: eventLoop)
        let refusalHandler = HTTPRefusalHandler(outcome: outcome, healthCheckPath: configuration.healthCheckPath,
                                                isAccepting: { boundSelf.value.accepting })
        let boundRefusalHandler = NIOLoopBound(refusalHandler, eventLoop: eventLoop)
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: configuration.limits.maxFrameSize,
            automaticErrorHandling: false,
            shouldUpgrade: { channel, head in
                boundSelf.value.negotiate(head, channel: channel, outcome: boundOutcome.value)
            },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    // The refusal handler sits before the WebSocket codec the upgrader appended.
                    let sync = channel.pipeline.syncOperations
                    boundSelf.value.endHandshake(boundOutcome.value)
                    sync.removeHandler(boundRefusalHandler.value, promise: nil)
                    guard let connection = boundOutcome.value.connection else { return }
                    try connection.install(in: sync)
                }
            }
        )
        try sync.configureHTTPServerPipeline(withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
        try sync.addHandler(refusalHandler)
        let key = ObjectIdentifier(channel)
        channels[key] = (channel, outcome)
        pendingHandshakes += 1
        let timeout = configuration.handshakeTimeout
        outcome.deadline = eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(timeout.nanoseconds)) {
            boundSelf.value.logLimited("closed connections that did not complete the WebSocket handshake in time",
                                       metadata: ["handshakeTimeout": "\(timeout)"])
            channel.close(promise: nil)
        }
        channel.closeFuture.whenComplete { _ in
            boundSelf.value.channels[key] = nil
            // A deferred decision not taken yet is too late now (the app's later accept or reject is ignored).
            boundOutcome.value.answer(nil)
            boundSelf.value.endHandshake(boundOutcome.value)
            boundOutcome.value.connection?.channelClosedBeforeAttaching()
        }
    }

    /// The connection upgraded or closed: its handshake no longer counts, its deadline is off.
    private func endHandshake(_ outcome: UpgradeOutcome) {
        guard !outcome.handshakeEnded else { return }
        outcome.handshakeEnded = true
        outcome.deadline?.cancel()
        outcome.deadline = nil
        pendingHandshakes -= 1
    }

    /// Logs a line a flood of connections would repeat, through the server-wide ``LogFloodGuard``.
    private func logLimited(_ message: String, metadata: Logger.Metadata, level: Logger.Level = .warning) {
        context.floodGuard?.log(level, message, metadata: metadata, through: logger)
    }

    /// Decides an upgrade request: headers for the 101, or `nil` with `outcome` saying what to
    /// answer; completed later when the app deferred its decision.
    private func negotiate(_ head: HTTPRequestHead, channel: any Channel, outcome: UpgradeOutcome) -> EventLoopFuture<HTTPHeaders?> {
        let decided = decide(head, channel: channel, outcome: outcome)
        guard outcome.awaitingDecision else { return eventLoop.makeSucceededFuture(decided) }
        let promise = eventLoop.makePromise(of: HTTPHeaders?.self)
        outcome.pendingAnswer = promise
        return promise.futureResult
    }

    /// The response headers of an accepted upgrade.
    private static var acceptedHeaders: HTTPHeaders {
        var response = HTTPHeaders()
        response.add(name: "Sec-WebSocket-Protocol", value: "protoo")
        return response
    }

    /// ``negotiate(_:channel:outcome:)`` up to the app's decision; `outcome.awaitingDecision`
    /// still set means the app deferred it (the result is then meaningless).
    private func decide(_ head: HTTPRequestHead, channel: any Channel, outcome: UpgradeOutcome) -> HTTPHeaders? {
        if let refusal = refusal(of: head) {
            metrics?.refused(status: refusal.status)
            outcome.status = refusal.status
            outcome.reason = refusal.reason
            return nil
        }
        let id = nextConnectionID
        nextConnectionID += 1
        let request = connectionRequest(head, id: id, channel: channel, outcome: outcome)
        outcome.awaitingDecision = true
        app.handleConnection(request)
        return answer(request, id: id, outcome: outcome)
    }

    /// Why the server refuses this upgrade before the app sees it (a malformed handshake or query,
    /// no `protoo` subprotocol, not accepting, at the connection limit), logged; `nil` to go on.
    private func refusal(of head: HTTPRequestHead) -> (status: Int, reason: String)? {
        if let problem = HandshakeValidation.problem(with: head) {
            logLimited("upgrade refused: invalid WebSocket handshake", metadata: ["problem": "\(problem)"])
            return (400, problem)
        }
        if let problem = ConnectionRequest.queryProblem(head.uri) {
            logLimited("upgrade refused: invalid query", metadata: ["problem": "\(problem)"])
            return (400, problem)
        }
        let offered = head.headers[canonicalForm: "sec-websocket-protocol"].map { $0.lowercased() }
        guard offered.contains("protoo") else {
            logLimited("upgrade refused: subprotocol protoo not offered", metadata: ["target": .untrusted(head.uri)], level: .info)
            return (403, "invalid/missing Sec-WebSocket-Protocol")
        }
        guard accepting else { return (503, "server is not accepting protoo connections") }
        // `channels` counts this connection too.
        if let limit = configuration.maxConnections, channels.count > limit {
            logLimited("upgrade refused with 503: connection limit reached", metadata: ["maxConnections": "\(limit)"])
            return (503, "server is at its connection limit")
        }
        return nil
    }

    /// The request the app decides, recorded by the traffic tap: its `accept` installs the
    /// connection and answers 101, its `reject` answers the app's status (both once, while the
    /// upgrade still waits).
    private func connectionRequest(_ head: HTTPRequestHead, id: ConnectionID, channel: any Channel,
                                   outcome: UpgradeOutcome) -> ConnectionRequest {
        let remote = channel.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "unknown"
        let headers = head.headers.map { (name: $0.name, value: $0.value) }
        let tap = self.tap
        tap?.connectionRequested(id, at: context.now, target: head.uri, headers: headers, remoteAddress: remote)

        let (path, query) = ConnectionRequest.parseTarget(head.uri)
        var connectionLogger = logger
        connectionLogger[metadataKey: "connection"] = "\(id)"
        let limits = configuration.limits
        let loop = eventLoop
        let budget = partialMessages
        let outboundBudget = outbound
        let context = self.context
        let boundSelf = NIOLoopBound(self, eventLoop: eventLoop)
        return ConnectionRequest(
            path: path, query: query, headers: headers, remoteAddress: remote, target: head.uri,
            accept: {
                let connection = WebSocketConnection(role: .server, limits: limits, eventLoop: loop, logger: connectionLogger,
                                                     partialMessageBudget: budget, floodGuard: context.floodGuard,
                                                     outboundBudget: outboundBudget)
                guard outcome.awaitingDecision else {
                    connectionLogger.warning("accept() after the connection request was answered or abandoned (handshake timeout, client gone): ignored")
                    connection.abort()
                    return connection
                }
                outcome.connection = connection
                tap?.connectionAccepted(id, at: context.now)
                outcome.answer(Self.acceptedHeaders)
                guard let tap else { return connection }
                return TappedTransport(connection, connection: id, tap: tap, scheduler: context.scheduler)
            },
            reject: { status, reason in
                guard outcome.awaitingDecision else { return }
                outcome.status = status
                outcome.reason = reason
                tap?.connectionRejected(id, at: context.now, status: status, reason: reason)
                boundSelf.value.logLimited("connection rejected by the app", metadata: ["connection": "\(id)", "status": "\(status)", "reason": .untrusted(reason)],
                                           level: .info)
                outcome.answer(nil)
            }
        )
    }

    /// The answer once `handleConnection` returned: 101 headers if accepted, `nil` if rejected or
    /// deferred, and 500 for a request the app left undecided.
    private func answer(_ request: ConnectionRequest, id: ConnectionID, outcome: UpgradeOutcome) -> HTTPHeaders? {
        switch request.decision {
        case .accepted:
            return Self.acceptedHeaders
        case .rejected:
            return nil
        case nil where request.isDeferred:
            // Still awaiting: `negotiate` returns a future the later decision completes.
            return nil
        case nil:
            outcome.awaitingDecision = false
            logLimited("the app left the connection request undecided: answering 500 (call accept() or reject() inside handleConnection, or deferDecision() there to decide later)",
                       metadata: ["connection": "\(id)"])
            outcome.status = 500
            outcome.reason = "connection request not handled"
            tap?.connectionRejected(id, at: context.now, status: 500, reason: outcome.reason)
            return nil
        }
    }

    /// Refuses new protoo connections from now on (503); open connections are untouched.
    func stopAccepting() {
        accepting = false
    }

    /// Stops accepting and gives the app's engine tasks (async request handlers) `period`
    /// (default the grace period) to finish, then the same again once the rest are cancelled; the
    /// future carries the executor, for the server to close once the loop's work is done.
    func settleHandlers(within period: Duration? = nil) -> EventLoopFuture<EngineExecutor> {
        accepting = false
        let executor = context.executor
        let promise = eventLoop.makePromise(of: EngineExecutor.self)
        executor.settle(within: period ?? configuration.shutdownGracePeriod) { [logger = configuration.logger] unfinished in
            if !unfinished.isEmpty {
                logger.info("shutdown: engine tasks still running after cancellation", metadata: ["tasks": "\(unfinished.map(\.description))"])
            }
            promise.succeed(executor)
        }
        return promise.futureResult
    }

    /// Stops accepting, shuts the app down, closes remaining connections with 4000; the future
    /// completes once every connection is closed (forced after the grace period).
    func shutdown() -> EventLoopFuture<Void> {
        accepting = false
        if !appShutDown {
            appShutDown = true
            app.shutdown()
        }
        return closeConnections(code: CloseCode.protoo, reason: "closed by protoo-server")
    }

    /// Stops accepting and closes every connection with 1012 (service restart), which a
    /// protoo-client reconnects on (4000 it would not): behind a balancer, it comes back on
    /// another server. The app is not shut down (its rooms empty as their peers close).
    func closeForRestart() -> EventLoopFuture<Void> {
        accepting = false
        return closeConnections(code: CloseCode.serviceRestart, reason: "server restarting: reconnect")
    }

    /// Shuts the app down (once).
    func shutDownApp() {
        guard !appShutDown else { return }
        appShutDown = true
        app.shutdown()
    }

    /// Closes every connection with `code` (unfinished handshakes at once); the future completes
    /// once all are closed (forced after the grace period).
    private func closeConnections(code: UInt16, reason: String) -> EventLoopFuture<Void> {
        for (channel, outcome) in channels.values {
            if let connection = outcome.connection {
                connection.close(code: code, reason: reason)
            } else {
                channel.close(promise: nil)
            }
        }
        let open = channels.values.map(\.channel)
        guard !open.isEmpty else { return eventLoop.makeSucceededVoidFuture() }
        let promise = eventLoop.makePromise(of: Void.self)
        let deadline = eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(configuration.shutdownGracePeriod.nanoseconds)) {
            for channel in open { channel.close(promise: nil) }
        }
        EventLoopFuture.andAllComplete(open.map(\.closeFuture), on: eventLoop).assumeIsolated().whenComplete { _ in
            deadline.cancel()
            promise.succeed()
        }
        return promise.futureResult
    }
}
