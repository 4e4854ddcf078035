import Logging
import Protoo
import ProtooWebSocketCore

extension ProtooServer {
    /// Where and how a ``ProtooServer`` listens.
    public struct Configuration: Sendable {
        /// A PEM certificate chain and private key: the server speaks `wss://`.
        public struct TLS: Sendable, Hashable {
            /// PEM certificate chain, leaf first.
            public var certificatePath: String
            /// PEM private key of the leaf certificate.
            public var privateKeyPath: String
            public init(certificatePath: String, privateKeyPath: String) {
                self.certificatePath = certificatePath
                self.privateKeyPath = privateKeyPath
            }
        }

        /// Interface to bind, e.g. `127.0.0.1` or `0.0.0.0`.
        public var host: String
        /// TCP port; `0` picks a free one (read it back from ``ProtooServer/port``).
        public var port: Int
        /// `nil`: plain `ws://`.
        public var tls: TLS?
        /// Frame/message size limits, outbound buffer cap and keep-alive of every connection.
        public var limits: WebSocketLimits
        /// Observes connection attempts, messages and closes (the trace recorder). Called on the
        /// server's event loop; accepted transports are wrapped in ``TappedTransport``.
        public var trafficTap: (any TrafficTap & Sendable)?
        /// Seed of the engine's random source (request ids); `nil` draws one from the system.
        public var randomSeed: UInt64?
        /// How long ``ProtooServer/shutdown()`` waits for connections to finish their close handshake.
        public var shutdownGracePeriod: Duration
        /// Where the server and the engine log (one line per refused, dropped or misbehaving
        /// connection; repeated lines are rate-limited).
        public var logger: Logger
        /// How long a new TCP connection may take to complete its WebSocket upgrade (TLS and the
        /// HTTP request included) before it is closed. Default 10 s.
        public var handshakeTimeout: Duration
        /// Connections still in their handshake beyond which a new TCP connection is closed at once. Default 1,024.
        public var maxPendingHandshakes: Int
        /// Open connections (handshaking or upgraded) beyond which an upgrade is answered HTTP 503;
        /// `nil`: no cap. Default `nil`.
        public var maxConnections: Int?
        /// Bytes all connections together may hold in messages not received whole yet (fragments
        /// and partly read frames); past it the connections holding the most are closed with 1009. Default 64 MiB.
        public var maxPartialMessageBytes: Int
        /// Lines any connection could write (a protocol error, a keep-alive drop, an invalid
        /// message) are limited server-wide: per kind, 5, then one per this interval with a count,
        /// and a summary of the dropped ones after it (``LogFloodGuard``). Default 10 s.
        public var logFloodInterval: Duration = .seconds(10)
        /// Bytes all connections together may hold written and not yet taken by their sockets
        /// (clients that do not read); past it the connections holding the most are dropped. Each
        /// connection may also hold at most ``WebSocketLimits/outboundBufferLimit``. Default 128 MiB (buffers may take up to twice the bytes they hold).
        public var maxOutboundBytes = 128 << 20
        /// Connections the kernel queues before the server accepts them (`listen(2)`'s backlog;
        /// Linux caps it at `net.core.somaxconn`). Default 4,096: a burst of thousands of connects
        /// is queued, not dropped.
        public var listenBacklog = 4096
        /// A plain HTTP `GET` of this path is the balancer's health check: 200 while the server
        /// accepts protoo connections, 503 once it drains or stops (default `/health`; `nil`: none).
        public var healthCheckPath: String? = "/health"
        /// How long ``ProtooServer/drain(timeout:)`` (SIGTERM on `protoo serve`) lets request
        /// handlers still running finish after the peers were closed. Default 10 s.
        public var drainTimeout: Duration = .seconds(10)
        /// Whether the server reports its metrics through swift-metrics (see `ServerMetrics`:
        /// connections, peers, rooms, requests by method and outcome, request durations,
        /// notifications, refusals, bytes). Default on; without a bootstrapped backend they cost
        /// next to nothing.
        public var metricsEnabled = true
        /// The request methods that get their own `method` label; others count as `other`
        /// (default `nil`: the first 64 methods seen).
        public var metricsMethods: Set<String>?

        /// A configuration; defaults: loopback, port 4443, `ws://`, reference limits, no tap, and
        /// the handshake and memory limits above.
        public init(host: String = "127.0.0.1", port: Int = 4443, tls: TLS? = nil, limits: WebSocketLimits = WebSocketLimits(),
                    trafficTap: (any TrafficTap & Sendable)? = nil, randomSeed: UInt64? = nil,
                    shutdownGracePeriod: Duration = .seconds(3), logger: Logger = Logger(label: "protoo.server"),
                    handshakeTimeout: Duration = .seconds(10), maxPendingHandshakes: Int = 1024, maxConnections: Int? = nil,
                    maxPartialMessageBytes: Int = 64 * 1024 * 1024) {
            self.host = host
            self.port = port
            self.tls = tls
            self.limits = limits
            self.trafficTap = trafficTap
            self.randomSeed = randomSeed
            self.shutdownGracePeriod = shutdownGracePeriod
            self.logger = logger
            self.handshakeTimeout = handshakeTimeout
            self.maxPendingHandshakes = maxPendingHandshakes
            self.maxConnections = maxConnections
            self.maxPartialMessageBytes = maxPartialMessageBytes
        }
    }
}
