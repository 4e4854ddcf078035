import ArgumentParser
import Dispatch
import Foundation
import Logging
import Protoo
import ProtooApps
import ProtooTrace
import ProtooWebSocket

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

    func validate() throws {
        guard CommandRegistry.current.app(named: app) != nil else {
            throw ValidationError("unknown app '\(app)'; choose one of: \(CommandRegistry.current.appNames.joined(separator: ", "))")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("unknown --log-level '\(logLevel)'")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
    }

    func run() async throws {
        bootstrapLogging(level: logLevel)
        let logger = Logger(label: "protoo.serve")
        guard let factory = CommandRegistry.current.app(named: app) else { throw ExitCode.validationFailure }
        let tls = tlsOptions.tls
        var configuration = ProtooServer.Configuration(host: host, port: port, tls: tls, logger: Logger(label: "protoo.server"))
        limits.apply(to: &configuration)
        let recorder = try recording.makeRecorder(producer: "protoo serve --app \(app)")
        configuration.trafficTap = recorder

        let signals = SignalWaiter(signals: [SIGINT, SIGTERM])
        let server = try await ProtooServer.start(configuration, app: factory)
        writeToStandardError("protoo serve: app \(app) listening on \(tls == nil ? "ws" : "wss")://\(host):\(server.port)/\n")
        let received = await signals.next()
        logger.notice("signal \(received): shutting down gracefully")
        await server.shutdown()
        if let recorder {
            try recorder.close()
            logger.notice("trace written", metadata: ["files": "\(recorder.files)", "dropped": "\(recorder.droppedRecords)"])
        }
        logger.notice("stopped")
    }
}
