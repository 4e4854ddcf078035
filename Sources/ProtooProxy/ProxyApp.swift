import Logging
import NIOSSL
import Protoo
import ProtooWebSocketCore
import ProtooClient
import ProtooTrace
import ProtooWebSocket

/// A transparent protoo reverse proxy, as an app of a ``ProtooServer``: each client connection
/// opens one upstream connection with the client's path and query and its forwarded headers
/// (``ProxyConfiguration/forwardedHeaders``, plus `X-Forwarded-For`), and the two are relayed
/// message by message (``ProxyRelay``).
///
/// ```swift
/// let proxy = try ProxyConfiguration(upstream: "ws://127.0.0.1:4443")
/// let server = try await ProtooServer.start(.init(port: 8443), app: ProxyApp.factory(proxy))
/// ```
/// The client's upgrade waits for the upstream's (the decision is deferred): upstream opened →
/// accepted; upstream refused with a status → the client refused with the same status and
/// reason; upstream unreachable, or not selecting `protoo` → 502; no answer within
/// ``ProxyConfiguration/upstreamTimeout`` → 504.
///
/// Runs only on a ``ProtooServer`` (its engine scheduler is the server's event loop, which the
/// upstream connections share); elsewhere every connection is refused with 500.
public final class ProxyApp: ProtooApp {
    private let configuration: ProxyConfiguration
    private let scheduler: any Scheduler
    private let dialer: (any UpstreamDialing)?
    private let tap: (any TrafficTap)?
    private let seed: UInt64
    private var logger: Logger
    private var nextConnection: ConnectionID = 0
    private var relays: [ConnectionID: ProxyRelay] = [:]
    private var pendingDials: [ConnectionID: () -> Void] = [:]
    private var isShutDown = false
    private var logLimiter = LogLimiter<String>(burst: 1, interval: .seconds(10))
    /// Orders what goes upstream around the proxy's upstream closes (see ``UpstreamGate``).
    private let gate: UpstreamGate
    /// The server's limit on lines every connection could write.
    private let floodGuard: LogFloodGuard?
    private var gateWired = false

    /// The factory to give ``ProtooServer/start(_:app:)``.
    public static func factory(_ configuration: ProxyConfiguration) -> ProtooAppFactory {
        { ProxyApp(configuration: configuration, context: $0) }
    }

    /// A proxy on `context`'s scheduler, which must be a ``NIOEventLoopScheduler`` (a server's).
    public init(configuration: ProxyConfiguration, context: EngineContext) {
        self.configuration = configuration
        self.scheduler = context.scheduler
        self.tap = configuration.trafficTap
        self.logger = configuration.logger
        self.seed = configuration.seed ?? context.random.next()
        self.gate = UpstreamGate(scheduler: context.scheduler)
        self.floodGuard = context.floodGuard
        guard let loop = (context.scheduler as? NIOEventLoopScheduler)?.eventLoop else {
            dialer = nil
            return
        }
        var options = WebSocketDialer.Options()
        options.limits = configuration.upstreamLimits
        options.connectTimeout = configuration.upstreamTimeout
        options.logger = configuration.logger
        options.floodGuard = context.floodGuard
        if configuration.upstreamURL.secure {
            do {
                options.sslContext = try NIOSSLContext(configuration: configuration.upstreamTLS ?? .makeClientConfiguration())
            } catch {
                configuration.logger.error("cannot make the upstream TLS context: every connection will be refused with 502", metadata: ["error": "\(error)"])
                dialer = nil
                return
            }
        }
        dialer = WebSocketUpstreamDialer(url: configuration.upstreamURL, options: options, eventLoop: loop)
    }

    /// A proxy dialing through `dialer`, on any scheduler (tests: in-memory upstreams on virtual time).
    init(configuration: ProxyConfiguration, context: EngineContext, dialer: any UpstreamDialing) {
        self.configuration = configuration
        self.scheduler = context.scheduler
        self.tap = configuration.trafficTap
        self.logger = configuration.logger
        self.seed = configuration.seed ?? context.random.next()
        self.gate = UpstreamGate(scheduler: context.scheduler)
        self.floodGuard = context.floodGuard
        self.dialer = dialer
    }

    /// Points the gate at the relays' upstream connections (to ping the server through). Once.
    private func wireGate() {
        guard !gateWired else { return }
        gateWired = true
        gate.probeSocket = { [unowned self] excluding in
            // Any one will do (the dictionary's order reaches no output).
            relays.first(where: { $0.key != excluding && $0.value.openUpstream != nil })?.value.openUpstream
        }
    }

    /// Connections being relayed now.
    public var relayedConnections: Int { relays.count }

    public func handleConnection(_ request: ConnectionRequest) {
        wireGate()
        nextConnection += 1
        let id = nextConnection
        if gate.isHolding {
            // A close is settling upstream: this connection goes (and is recorded) after it.
            request.deferDecision()
            return gate.run { [self] in startConnection(request, id: id) }
        }
        startConnection(request, id: id)
    }

    private func startConnection(_ request: ConnectionRequest, id: ConnectionID) {
        tap?.connectionRequested(id, at: scheduler.now, target: request.target, headers: request.headers, remoteAddress: request.remoteAddress)
        guard !isShutDown else { return refuse(request, id, status: 503, reason: "protoo proxy shutting down", byProxy: true) }
        guard let dialer else {
            return refuse(request, id, status: 500, reason: "protoo proxy: no upstream dialer (it runs on a ProtooServer; for wss://, check the TLS configuration)",
                          byProxy: true)
        }
        request.deferDecision()
        var settled = false
        let timeout = scheduler.schedule(after: configuration.upstreamTimeout) { [self] in
            guard !settled else { return }
            settled = true
            pendingDials.removeValue(forKey: id)?()
            logLimited("upstream did not answer in time: refusing with 504", metadata: ["timeout": "\(configuration.upstreamTimeout)"])
            refuse(request, id, status: 504, reason: "upstream did not answer within \(configuration.upstreamTimeout)", byProxy: true)
        }
        let headers = ForwardedHeaders.make(for: request, names: configuration.forwardedHeaders, addForwardedFor: configuration.addsForwardedFor)
        let abandon = dialer.dial(target: request.target, headers: headers) { [self] outcome in
            pendingDials[id] = nil
            guard !settled else {
                if case .opened(let transport) = outcome { transport.abort() }
                return
            }
            settled = true
            timeout.cancel()
            dialed(outcome, request: request, id: id)
        }
        if !settled { pendingDials[id] = abandon }
    }

    private func dialed(_ outcome: UpstreamOutcome, request: ConnectionRequest, id: ConnectionID) {
        switch outcome {
        case .opened(let upstream):
            guard !isShutDown else {
                upstream.abort()
                return refuse(request, id, status: 503, reason: "protoo proxy shutting down", byProxy: true)
            }
            tap?.connectionAccepted(id, at: scheduler.now)
            let client = request.accept()
            var connectionLogger = logger
            connectionLogger[metadataKey: "connection"] = "\(id)"
            let faults = configuration.faults.isNone ? nil : ConnectionFaults(configuration.faults, seed: seed, connection: id)
            let relay = ProxyRelay(id: id, client: client, upstream: upstream, scheduler: scheduler, tap: tap, faults: faults,
                                   logger: connectionLogger, markFault: faultMarker, markCloseCompleted: closeCompletedMarker, gate: gate,
                                   floodGuard: floodGuard)
            relay.onFinished = { [unowned self] id in self.relays[id] = nil }
            relays[id] = relay
            relay.start()
        case .refused(let status, let reason) where status < 400:
            // Not a refusal (a 101 without protoo or with a wrong accept key, a 200, a redirect):
            // the upstream is not a protoo server answering this upgrade.
            logLimited("upstream answered the upgrade wrongly: refusing with 502", metadata: ["status": "\(status)", "reason": .untrusted(reason)])
            refuse(request, id, status: 502, reason: status == 101 ? "upstream: \(reason)" : "upstream answered the upgrade with \(status)",
                   byProxy: true)
        case .refused(let status, let reason):
            refuse(request, id, status: status, reason: reason)
        case .failed(let reason):
            logLimited("upstream unreachable: refusing with 502", metadata: ["upstream": "\(configuration.upstream)", "error": .untrusted(reason)])
            refuse(request, id, status: 502, reason: "upstream unreachable", byProxy: true)
        }
    }

    /// Writes a `fault` marker into the recording when the tap is a ``TraceRecorder``.
    private var faultMarker: ((ConnectionID, String) -> Void)? {
        guard let recorder = tap as? TraceRecorder else { return nil }
        let scheduler = self.scheduler
        return { id, text in recorder.marker(TraceMarkers.fault, text: text, at: scheduler.now, connection: id) }
    }

    /// Writes a `closeCompleted` marker into the recording when the tap is a ``TraceRecorder``.
    private var closeCompletedMarker: ((ConnectionID) -> Void)? {
        guard let recorder = tap as? TraceRecorder else { return nil }
        let scheduler = self.scheduler
        return { id in recorder.marker(TraceMarkers.closeCompleted, at: scheduler.now, connection: id) }
    }

    /// Refuses the client. A refusal the proxy made itself (`byProxy`: the upstream never answered
    /// this connection) is marked as the proxy's in the recording, so replays never expect it
    /// from a live server; an upstream's refusal is passed on as the server's.
    private func refuse(_ request: ConnectionRequest, _ id: ConnectionID, status: Int, reason: String, byProxy: Bool = false) {
        if byProxy, let recorder = tap as? TraceRecorder {
            recorder.marker(TraceMarkers.proxyRefusal, text: "refused by the proxy: \(status) \(reason)", at: scheduler.now, connection: id)
        }
        tap?.connectionRejected(id, at: scheduler.now, status: status, reason: reason)
        request.reject(status: status, reason: reason)
    }

    /// Abandons the upstream connections being dialed and closes the relayed ones' upstream sides
    /// with 1001; the server then closes the clients with 4000, as any protoo server's shutdown.
    public func shutdown() {
        isShutDown = true
        for abandon in pendingDials.values { abandon() }
        pendingDials = [:]
        for relay in relays.values { relay.shutDown() }
    }

    private func logLimited(_ message: String, metadata: Logger.Metadata) {
        if let floodGuard { return floodGuard.log(.warning, message, metadata: metadata, through: logger) }
        guard case .log(let suppressed) = logLimiter.admit(message, at: scheduler.now) else { return }
        var metadata = metadata
        if suppressed > 0 { metadata["sinceLastLine"] = "\(suppressed)" }
        logger.warning("\(message)", metadata: metadata)
    }
}
