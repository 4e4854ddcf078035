import ArgumentParser
import Dispatch
import Foundation
import Logging
import Protoo
import ProtooApps
import ProtooTrace
import ProtooWebSocket
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `protoo serve`: runs an app behind the WebSocket server until SIGINT/SIGTERM.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run a protoo app on a WebSocket server (ws://, or wss:// with --tls-cert/--tls-key)."
    )

    @Option(help: "The app to run: \(CommandRegistry.current.appNames.joined(separator: ", ")).")
    var app: String

    @Option(help: "Interface to listen on.")
    var host = "127.0.0.1"

    @Option(help: "TCP port (0: any free port).")
    var port = 4443

    @OptionGroup var tlsOptions: TLSOptions

    @OptionGroup var recording: RecordingOptions

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    @OptionGroup var limits: ServerLimitOptions

    @Option(name: .customLong("drain-timeout"), help: "On SIGTERM or SIGINT: how long request handlers still running may take to finish once every peer was closed with 1012 (protoo-clients reconnect, through a balancer to another server). Default 10s.")
    var drainTimeout = DurationArgument(argument: "10s")!

    @Option(help: "Serve Prometheus metrics at http://HOST:PORT/metrics (e.g. 127.0.0.1:9464; port 0: any free port, printed).")
    var metrics: String?

    @Flag(name: .customLong("no-metrics"), help: "Turn the server's metrics off (without --metrics they go nowhere and cost next to nothing; this is for measuring that).")
    var noMetrics = false

    @Option(name: .customLong("health-path"), help: "The path of the HTTP health check (200 while accepting, 503 while draining); 'none' for no health check.")
    var healthPath = "/health"

    func validate() throws {
        guard CommandRegistry.current.app(named: app) != nil else {
            throw ValidationError("unknown app '\(app)'; choose one of: \(CommandRegistry.current.appNames.joined(separator: ", "))")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("unknown --log-level '\(logLevel)'")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        if let metrics, hostPort(metrics) == nil { throw ValidationError("--metrics takes HOST:PORT, e.g. 127.0.0.1:9464") }
        if metrics != nil, noMetrics { throw ValidationError("--metrics serves the metrics --no-metrics turns off: give one of them") }
    }

    func run() async throws {
        bootstrapLogging(level: logLevel)
        let logger = Logger(label: "protoo.serve")
        guard let factory = CommandRegistry.current.app(named: app) else { throw ExitCode.validationFailure }
        let tls = tlsOptions.tls
        var configuration = ProtooServer.Configuration(host: host, port: port, tls: tls, logger: Logger(label: "protoo.server"))
        limits.apply(to: &configuration)
        configuration.drainTimeout = drainTimeout.duration
        configuration.metricsEnabled = !noMetrics
        configuration.healthCheckPath = healthPath == "none" ? nil : healthPath
        let recorder = try recording.makeRecorder(producer: "protoo serve --app \(app)")
        configuration.trafficTap = recorder
        let (endpoint, sampling) = try await MetricsEndpoint.start(metrics, recorder: recorder, tool: "protoo serve")

        let server = try await ProtooServer.start(configuration, app: factory)
        let ready = ReadyAnnouncement(line: "protoo serve: app \(app) listening on \(tls == nil ? "ws" : "wss")://\(host):\(server.port)/\n")
        // SIGTERM or SIGINT: drain (health 503, peers closed with 1012 so they reconnect
        // elsewhere, handlers finish within --drain-timeout), then flush the recorder, exit 0.
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: server), .init(service: ready)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        logger.notice("drained")
        sampling?.cancel()
        await endpoint?.stop()
        if let recorder {
            try recorder.close()
            logger.notice("trace written", metadata: ["files": "\(recorder.files)", "dropped": "\(recorder.droppedRecords)"])
        }
        logger.notice("stopped")
    }
}
