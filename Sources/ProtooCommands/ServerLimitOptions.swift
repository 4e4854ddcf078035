import ArgumentParser
import ProtooWebSocket

/// The server's handshake, connection and memory limits (`docs/limits.md`), shared by `serve` and `proxy`.
struct ServerLimitOptions: ParsableArguments {
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
        guard handshakeTimeout.duration > .zero else { throw ValidationError("--handshake-timeout must be positive") }
        guard maxPendingHandshakes > 0 else { throw ValidationError("--max-pending-handshakes must be positive") }
        if let max = maxConnections, max <= 0 { throw ValidationError("--max-connections must be positive") }
    }

    /// Sets these limits on `configuration`.
    func apply(to configuration: inout ProtooServer.Configuration) {
        configuration.handshakeTimeout = handshakeTimeout.duration
        configuration.maxPendingHandshakes = maxPendingHandshakes
        configuration.maxConnections = maxConnections
        configuration.maxPartialMessageBytes = maxPartialMessageBytes.bytes
    }
}
