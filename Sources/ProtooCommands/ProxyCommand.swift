import ArgumentParser
import ServiceLifecycle
import Logging
import NIOSSL
import Protoo
import ProtooProxy
import ProtooWebSocket

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `protoo proxy`: a recording, fault-injecting reverse proxy in front of any protoo server,
/// until SIGINT/SIGTERM (see `docs/proxy.md`).
struct ProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "Relay protoo connections to another protoo server, recording them (--record) and injecting faults (--faults).",
        discussion: "Each client connection opens one upstream connection with the same path and query (Origin, User-Agent and Cookie forwarded, X-Forwarded-For added); messages, closes and refusals pass through unchanged. The trace records what the upstream server got and sent."
    )

    @Option(help: "HOST:PORT to listen on (port 0: any free port).")
    var listen = "127.0.0.1:4444"

    @Option(help: "The protoo server to relay to: ws://HOST:PORT or wss://HOST:PORT.")
    var upstream: String

    @Option(name: .customLong("upstream-ca"), help: "PEM trust roots for a wss:// upstream (default: the system's).")
    var upstreamCA: String?

    @Option(name: .customLong("upstream-timeout"),
            help: "Refuse a client with 504 when the upstream has not answered its upgrade after this long (below --handshake-timeout).")
    var upstreamTimeout = DurationArgument(argument: "5s")!

    @OptionGroup var tlsOptions: TLSOptions

    @OptionGroup var recording: RecordingOptions

    @OptionGroup var faultOptions: FaultOptions

    @OptionGroup var limits: ServerLimitOptions

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    @Option(help: "Serve Prometheus metrics at http://HOST:PORT/metrics (the listening side's connections, bytes, refusals; the recorder's buffer).")
    var metrics: String?

    /// `--listen` split: the host and the port.
    private var address: (host: String, port: Int)? { hostPort(listen) }

    func validate() throws {
        guard address != nil else { throw ValidationError("--listen takes HOST:PORT, e.g. 127.0.0.1:4444 (port 0: any free port)") }
        do {
            _ = try ProxyConfiguration(upstream: upstream)
        } catch {
            throw ValidationError("--upstream: \(error)")
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level '\(logLevel)'") }
        if let metrics, hostPort(metrics) == nil { throw ValidationError("--metrics takes HOST:PORT, e.g. 127.0.0.1:9465") }
        guard upstreamTimeout.duration > .zero, upstreamTimeout.duration < limits.handshakeTimeout.duration else {
            throw ValidationError("--upstream-timeout must be positive and below --handshake-timeout (\(limits.handshakeTimeout)), so that a slow upstream is answered 504 before the client's handshake times out")
        }
    }

    func run() async throws {
        bootstrapLogging(level: logLevel)
        let logger = Logger(label: "protoo.proxy")
        guard let (host, port) = address else { throw ExitCode.validationFailure }
        var proxy = try ProxyConfiguration(upstream: upstream, logger: logger)
        proxy.upstreamTimeout = upstreamTimeout.duration
        proxy.faults = try faultOptions.makeFaults()
        proxy.seed = faultOptions.seed
        if let upstreamCA {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(upstreamCA)
            proxy.upstreamTLS = tls
        }
        let recorder = try recording.makeRecorder(producer: "protoo proxy --upstream \(upstream)")
        proxy.trafficTap = recorder

        let tls = tlsOptions.tls
        var configuration = ProtooServer.Configuration(host: host, port: port, tls: tls, logger: Logger(label: "protoo.server"))
        // Never refuse what a mediasoup-demo-style upstream accepts (960,000-byte frames): frames
        // up to the message limit; the upstream side takes what the listening side does.
        limits.apply(to: &configuration, defaultFrameBytes: configuration.limits.maxMessageSize)
        proxy.upstreamLimits.maxMessageSize = configuration.limits.maxMessageSize
        proxy.upstreamLimits.maxFrameSize = max(configuration.limits.maxMessageSize, proxy.upstreamLimits.maxFrameSize)
        let (endpoint, sampling) = try await MetricsEndpoint.start(metrics, recorder: recorder, tool: "protoo proxy")
        let server = try await ProtooServer.start(configuration, app: ProxyApp.factory(proxy))
        if !proxy.faults.isNone {
            logger.notice("injecting faults", metadata: ["faults": "\(proxy.faults.summary)", "seed": "\(proxy.seed.map(String.init) ?? "random")"])
        }
        let shownHost = host.contains(":") ? "[\(host)]" : host
        let ready = ReadyAnnouncement(line: "protoo proxy: upstream \(upstream) listening on \(tls == nil ? "ws" : "wss")://\(shownHost):\(server.port)/\n")
        // Said beside the ready line, without holding it back.
        let upstreamCheck = Task { [proxy, upstream] in
            if let problem = await UpstreamCheck.problem(with: proxy) {
                logger.error("the upstream does not answer: clients are refused with 502 until it does",
                             metadata: ["upstream": "\(upstream)", "error": .untrusted(problem)])
            }
        }
        defer { upstreamCheck.cancel() }
        // SIGTERM or SIGINT: drain as `protoo serve` does (clients closed with 1012 reconnect, to
        // another proxy behind the balancer), then flush the recorder.
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: server), .init(service: ready)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        sampling?.cancel()
        await endpoint?.stop()
        if let recorder {
            try recorder.close()
            logger.notice("trace written", metadata: ["files": "\(recorder.files)", "dropped": "\(recorder.droppedRecords)"])
        }
        logger.notice("stopped")
    }
}
