import Logging
import NIOCore
import NIOSSL
import Protoo
import ProtooWebSocketCore

extension ProtooClient {
    /// protoo-client's reconnection: the node `retry` module's exponential back-off.
    public struct ReconnectPolicy: Sendable, Hashable {
        /// Further attempts after the first failed one (attempts are numbered 1…retries+1).
        public var retries: Int
        /// Growth of the delay from one attempt to the next.
        public var factor: Double
        /// Delay before the 2nd attempt.
        public var minDelay: Duration
        /// Upper bound of any delay.
        public var maxDelay: Duration

        /// A policy; the defaults are protoo-client's.
        public init(retries: Int = 10, factor: Double = 2, minDelay: Duration = .seconds(1), maxDelay: Duration = .seconds(8)) {
            self.retries = retries
            self.factor = factor
            self.minDelay = minDelay
            self.maxDelay = maxDelay
        }

        /// protoo-client's defaults: 10 retries, factor 2, 1 s to 8 s.
        public static let protooClient = ReconnectPolicy()

        /// The wait after failed attempt `attempt` (1-based): min(minDelay × factor^(attempt−1), maxDelay).
        public func delay(afterAttempt attempt: Int) -> Duration {
            let scaled = Double(minDelay.nanoseconds) * pow(factor, Double(max(0, attempt - 1)))
            return .nanoseconds(Int64(min(scaled, Double(maxDelay.nanoseconds))))
        }

        private func pow(_ base: Double, _ exponent: Double) -> Double {
            var result = 1.0
            for _ in 0..<Int(exponent) { result *= base }
            return result
        }
    }

    /// How a ``ProtooClient`` connects.
    public struct Configuration: Sendable {
        /// `nil` disables reconnection: a failed first attempt gives `failed(1)` then `close`; a drop
        /// gives `disconnected` then `close`.
        public var reconnect: ReconnectPolicy?
        /// Frame/message limits, keep-alive (off by default on the client) and close handshake timeout.
        public var limits: WebSocketLimits
        /// TLS settings for `wss://` (default: system trust roots, hostname verification).
        public var tls: TLSConfiguration?
        /// Extra HTTP headers of the upgrade request (e.g. `Origin`).
        public var headers: [(name: String, value: String)]
        /// TCP connect timeout of each attempt.
        public var connectTimeout: Duration
        /// Request timeouts (protoo-client: 1500 ms × (15 + 0.1 × pending)).
        public var peer: Peer.Configuration
        /// Seed of the request-id generator; `nil` draws one from the system.
        public var randomSeed: UInt64?
        /// Where the client logs (connection attempts at info, refusals at warning).
        public var logger: Logger
        /// Runs the client on a loop of this group (shared by many clients, owned by the caller, who
        /// shuts it down after closing them); `nil`: the client runs its own one-thread group.
        public var eventLoopGroup: (any EventLoopGroup)? = nil

        /// A configuration; the defaults behave like protoo-client.
        public init(reconnect: ReconnectPolicy? = .protooClient, limits: WebSocketLimits = ProtooClient.defaultLimits,
                    tls: TLSConfiguration? = nil, headers: [(name: String, value: String)] = [],
                    connectTimeout: Duration = .seconds(10), peer: Peer.Configuration = .client,
                    randomSeed: UInt64? = nil, logger: Logger = Logger(label: "protoo.client")) {
            self.reconnect = reconnect
            self.limits = limits
            self.tls = tls
            self.headers = headers
            self.connectTimeout = connectTimeout
            self.peer = peer
            self.randomSeed = randomSeed
            self.logger = logger
        }
    }

    /// The server defaults without keep-alive pings (like protoo-client, which only answers pings).
    public static var defaultLimits: WebSocketLimits {
        var limits = WebSocketLimits()
        limits.keepAliveInterval = nil
        return limits
    }
}
