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

    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain (enables wss://).")
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key (with --tls-cert).")
    var tlsKey: String?

    @Option(help: "Record all traffic to a trace file (.ptrace.zst, or .jsonl).")
    var record: String?

    @Option(name: .customLong("record-redact"), help: "Query parameters to strip from recorded URLs (comma-separated, e.g. token).")
    var recordRedact: String?

    @Option(name: .customLong("record-level"),
            help: "zstd level of the recording: 1 (default, ≈ 8.5× on conference traffic) up to 19 for smaller files; negative levels (written --record-level=-3) spend less CPU and compress less.")
    var recordLevel: Int32 = 1

    @Option(name: .customLong("record-rotate-mb"), help: "Start a new trace file once the current one holds this many megabytes.")
    var recordRotateMB: Int?

    @Option(name: .customLong("record-rotate-every"), help: "Start a new trace file after this much time (e.g. 1h, 15m).")
    var recordRotateEvery: DurationArgument?

    @Option(name: .customLong("record-overflow"),
            help: "When the writer cannot keep up: drop (default; dropped records are counted in the trailer) or block (back-pressure, no loss).")
    var recordOverflow = "drop"

    @Option(name: .customLong("record-buffer-mb"),
            help: "Megabytes of records the recorder holds for its writer thread before --record-overflow applies (default 64).")
    var recordBufferMB = 64

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    @Option(name: .customLong("handshake-timeout"),
            help: "Close a connection that has not completed its WebSocket upgrade after this long (e.g. 10s, 500ms; a bare number is seconds).")
    var handshakeTimeout = DurationArgument(argument: "10s")!

    @Option(name: .customLong("max-pending-handshakes"), help: "Close new connections at once while this many are still in their handshake.")
    var maxPendingHandshakes = 1024

    @Option(name: .customLong("max-connections"), help: "Answer upgrades with HTTP 503 beyond this many open connections (default: no limit).")
    var maxConnections: Int?

    @Option(name: .customLong("max-partial-message-bytes"),
            help: "Bytes all connections may hold in unfinished messages (e.g. 64MiB); past it the largest holders are closed with 1009.")
    var maxPartialMessageBytes = ByteCountArgument(argument: "64MiB")!

    func validate() throws {
        guard CommandRegistry.current.app(named: app) != nil else {
            throw ValidationError("unknown app '\(app)'; choose one of: \(CommandRegistry.current.appNames.joined(separator: ", "))")
        }
        guard (tlsCert == nil) == (tlsKey == nil) else {
            throw ValidationError("--tls-cert and --tls-key go together")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("unknown --log-level '\(logLevel)'")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        guard (-7...19).contains(recordLevel), recordLevel != 0 else {
            throw ValidationError("--record-level must be 1…19, or -1…-7 (written --record-level=-3) for faster, larger files")
        }
        guard ["drop", "block"].contains(recordOverflow) else { throw ValidationError("--record-overflow is drop or block") }
        guard (1...65_536).contains(recordBufferMB) else { throw ValidationError("--record-buffer-mb must be 1…65536 (megabytes)") }
        if let mb = recordRotateMB, mb <= 0 { throw ValidationError("--record-rotate-mb must be positive") }
        if let every = recordRotateEvery, every.duration <= .zero { throw ValidationError("--record-rotate-every must be positive") }
        guard handshakeTimeout.duration > .zero else { throw ValidationError("--handshake-timeout must be positive") }
        guard maxPendingHandshakes > 0 else { throw ValidationError("--max-pending-handshakes must be positive") }
        if let max = maxConnections, max <= 0 { throw ValidationError("--max-connections must be positive") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "protoo.serve")
        guard let factory = CommandRegistry.current.app(named: app) else { throw ExitCode.validationFailure }
        let tls = tlsCert.flatMap { cert in tlsKey.map { ProtooServer.Configuration.TLS(certificatePath: cert, privateKeyPath: $0) } }
        var configuration = ProtooServer.Configuration(host: host, port: port, tls: tls, logger: Logger(label: "protoo.server"),
                                                       handshakeTimeout: handshakeTimeout.duration, maxPendingHandshakes: maxPendingHandshakes,
                                                       maxConnections: maxConnections, maxPartialMessageBytes: maxPartialMessageBytes.bytes)
        let recorder = try record.map { path in
            let header = TraceHeader(createdAtUnixNanoseconds: Int64(Date().timeIntervalSince1970 * 1e9),
                                     producerName: "protoo serve --app \(app)", producerVersion: "0.1.0",
                                     host: ProcessInfo.processInfo.hostName)
            // The 16 kB match table (hashLog 12) suits the fast levels; higher levels keep their own.
            var options = TraceWriterOptions(compressionLevel: recordLevel, hashLog: recordLevel <= 3 ? 12 : nil)
            if let names = recordRedact?.split(separator: ",").map(String.init), !names.isEmpty {
                options.redactor = .stripQueryParameters(Set(names))
            }
            let configuration = TraceRecorderConfiguration(
                path: path, header: header, writerOptions: options, bufferBytes: recordBufferMB << 20,
                overflowPolicy: recordOverflow == "block" ? .block : .dropNewest,
                rotateBytes: recordRotateMB.map { Int64($0) * 1_048_576 }, rotateInterval: recordRotateEvery?.duration)
            return try TraceRecorder(configuration: configuration, logger: Logger(label: "protoo.trace"))
        }
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

    private func writeToStandardError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}

/// Turns SIGINT/SIGTERM into an awaitable value (the default handlers are disabled).
private final class SignalWaiter {
    private let sources: [any DispatchSourceSignal]
    private let stream: AsyncStream<Int32>

    init(signals: [Int32]) {
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        self.stream = stream
        let queue = DispatchQueue(label: "protoo.signals")
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
    }

    /// The first signal received.
    func next() async -> Int32 {
        for await number in stream { return number }
        return SIGTERM
    }
}
