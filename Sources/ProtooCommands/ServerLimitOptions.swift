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

    @Option(name: .customLong("max-outbound-bytes"),
            help: "Bytes all connections may hold unsent (clients that do not read; default 128MiB); past it the largest holders are dropped.")
    var maxOutboundBytes = ByteCountArgument(argument: "128MiB")!

    @Option(name: .customLong("max-frame-bytes"),
            help: "Largest WebSocket frame a client may send (e.g. 960000; browsers send each message as one frame); past it the connection is closed with 1009. Default: serve 64KiB (WebSocket-Node's), proxy 1MiB.")
    var maxFrameBytes: ByteCountArgument?

    @Option(name: .customLong("max-message-bytes"),
            help: "Largest message (all its frames) a client may send; past it the connection is closed with 1009. Default 1MiB.")
    var maxMessageBytes: ByteCountArgument?

    @Option(name: .customLong("outgoing-fragment-bytes"),
            help: "Send messages in frames of at most this many bytes (default 16KiB, as WebSocket-Node; 0: never fragment, as protoo-server with fragmentOutgoingMessages off).")
    var outgoingFragmentBytes: ByteCountArgument?

    @Option(name: .customLong("listen-backlog"), help: "Connections the kernel queues before they are accepted (default 4096; Linux caps it at net.core.somaxconn).")
    var listenBacklog = 4096

    func validate() throws {
        guard handshakeTimeout.duration > .zero else { throw ValidationError("--handshake-timeout must be positive") }
        if let f = maxFrameBytes, f.bytes < 125 { throw ValidationError("--max-frame-bytes must be at least 125 (a control frame's payload)") }
        if let m = maxMessageBytes, m.bytes < 1 { throw ValidationError("--max-message-bytes must be positive") }
        if let f = maxFrameBytes, let m = maxMessageBytes, f.bytes > m.bytes {
            throw ValidationError("--max-frame-bytes (\(f)) cannot be larger than --max-message-bytes (\(m))")
        }
        guard listenBacklog > 0 else { throw ValidationError("--listen-backlog must be positive") }
        guard maxPendingHandshakes > 0 else { throw ValidationError("--max-pending-handshakes must be positive") }
        if let max = maxConnections, max <= 0 { throw ValidationError("--max-connections must be positive") }
    }

    /// Sets these limits on `configuration`; `defaultFrameBytes` is the command's default frame limit.
    func apply(to configuration: inout ProtooServer.Configuration, defaultFrameBytes: Int = WebSocketLimits().maxFrameSize) {
        configuration.limits.maxMessageSize = maxMessageBytes?.bytes ?? configuration.limits.maxMessageSize
        configuration.limits.maxFrameSize = min(maxFrameBytes?.bytes ?? defaultFrameBytes, configuration.limits.maxMessageSize)
        if let fragment = outgoingFragmentBytes {
            configuration.limits.outgoingFragmentSize = fragment.bytes == 0 ? Int.max : fragment.bytes
        }
        configuration.listenBacklog = listenBacklog
        configuration.handshakeTimeout = handshakeTimeout.duration
        configuration.maxPendingHandshakes = maxPendingHandshakes
        configuration.maxConnections = maxConnections
        configuration.maxPartialMessageBytes = maxPartialMessageBytes.bytes
        configuration.maxOutboundBytes = maxOutboundBytes.bytes
    }
}
