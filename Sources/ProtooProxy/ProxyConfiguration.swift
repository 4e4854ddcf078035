import Logging
import NIOSSL
import Protoo
import ProtooWebSocketCore
import ProtooClient
import ProtooWebSocket

/// Where a ``ProxyApp`` relays to, and how.
public struct ProxyConfiguration: Sendable {
    /// The upstream server as given, `ws://HOST:PORT` or `wss://HOST:PORT`.
    public let upstream: String
    package let upstreamURL: WebSocketURL
    /// Request headers copied to the upstream request (names case-insensitive), every value in
    /// order. Default: `Origin`, `User-Agent`, `Cookie`, `Authorization`.
    public var forwardedHeaders: Set<String> = ["origin", "user-agent", "cookie", "authorization"]
    /// Adds `X-Forwarded-For`: the client's own values, then its IP address. Default `true`.
    public var addsForwardedFor = true
    /// TLS of a `wss://` upstream; `nil`: the system's trust roots.
    public var upstreamTLS: TLSConfiguration?
    /// Limits of the upstream connections. Default: the Swift client's (no keep-alive pings of
    /// its own; the upstream's pings are answered).
    public var upstreamLimits: WebSocketLimits = ProtooClient.defaultLimits
    /// How long the upstream may take to connect and answer the upgrade before the client is
    /// refused with 504. Keep it below the proxy server's handshake timeout. Default 5 s.
    public var upstreamTimeout: Duration = .seconds(5)
    /// Faults injected into the relayed traffic. Default: none.
    public var faults = ProxyFaults.none
    /// Seeds the fault decisions: connection n (in the order the proxy saw them) draws from its own
    /// streams, so one seed gives the same decisions per connection. `nil`: drawn from the
    /// engine's random source (``ProtooServer/Configuration/randomSeed``).
    public var seed: UInt64?
    /// Records the traffic as the upstream server saw it (see ``ProxyApp``); use it rather than
    /// the server's own tap, which records what the client saw (the two differ under faults).
    public var trafficTap: (any TrafficTap & Sendable)?
    /// Where the proxy logs: refused and failed upstream connections, injected faults.
    public var logger: Logger

    /// A configuration relaying to `upstream`.
    /// - Throws: ``ProxyError/invalidUpstream(_:problem:)`` when `upstream` is not `ws://HOST:PORT` or `wss://HOST:PORT`.
    public init(upstream: String, logger: Logger = Logger(label: "protoo.proxy")) throws(ProxyError) {
        let url: WebSocketURL
        do {
            url = try WebSocketURL(upstream)
        } catch {
            throw .invalidUpstream(upstream, problem: "not a ws:// or wss:// URL with a host and a valid port")
        }
        guard url.target == "/" else {
            throw .invalidUpstream(upstream, problem: "it has a path or query (\(url.target))")
        }
        self.upstream = upstream
        self.upstreamURL = url
        self.logger = logger
    }
}
