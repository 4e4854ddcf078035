import Logging
import ProtooClient

/// What a load run does: how many peers connect to which protoo server, and how they send requests.
///
/// Closed loop (default): every peer keeps ``inflight`` requests in flight, sending the next one as
/// soon as one is answered. Open loop (``rate`` set): requests arrive at a fixed total rate, spread
/// round-robin over the peers; an arrival that finds its peer with ``inflight`` requests already in
/// flight is dropped and counted.
public struct LoadConfiguration: Sendable {
    /// The server, `ws://host:port/path?query` or `wss://…`; see ``PeerURL`` for the peer ids.
    public var url: String
    /// Peers to connect (one WebSocket each).
    public var peers: Int
    /// How long requests are issued; in-flight requests are then drained (up to ``drainTimeout``).
    public var duration: Duration
    /// Requests in flight per peer: the closed loop's window, the open loop's cap.
    public var inflight: Int
    /// The request method (`echo` on the built-in apps).
    public var method: String
    /// Size of the request payload: `data` is `{"payload": "<payloadBytes × x>"}`, or `{}` for 0.
    public var payloadBytes: Int
    /// Open loop: total arrivals per second over all peers; `nil` runs the closed loop.
    public var rate: Double?
    /// Prefix of the generated peer ids (`<prefix><index>`).
    public var peerIDPrefix: String
    /// The index of the first peer (default 0): a partition of a bigger load starts where the
    /// previous one's peers end, so every peer id of the whole load is different.
    public var firstPeer = 0
    /// Event-loop threads the clients share.
    public var threads: Int
    /// Connect timeout of each peer (TCP connect; the WebSocket upgrade must also finish within it).
    public var connectTimeout: Duration
    /// Peers connecting at the same time.
    public var connectConcurrency: Int
    /// How long to wait for in-flight requests after ``duration``; the rest count as unfinished.
    public var drainTimeout: Duration
    /// Where the clients log (quiet by default: only errors).
    public var logger: Logger

    /// A configuration; the defaults are one peer, 10 s, one request in flight, `echo`, empty payload.
    public init(url: String, peers: Int = 1, duration: Duration = .seconds(10), inflight: Int = 1,
                method: String = "echo", payloadBytes: Int = 0, rate: Double? = nil, peerIDPrefix: String = "load-",
                threads: Int = 1, connectTimeout: Duration = .seconds(10), connectConcurrency: Int = 64,
                drainTimeout: Duration = .seconds(5), logger: Logger? = nil) {
        self.url = url
        self.peers = peers
        self.duration = duration
        self.inflight = inflight
        self.method = method
        self.payloadBytes = payloadBytes
        self.rate = rate
        self.peerIDPrefix = peerIDPrefix
        self.threads = threads
        self.connectTimeout = connectTimeout
        self.connectConcurrency = connectConcurrency
        self.drainTimeout = drainTimeout
        self.logger = logger ?? {
            var logger = Logger(label: "protoo.load")
            logger.logLevel = .error
            return logger
        }()
    }

    /// Checks the numbers.
    /// - Throws: ``LoadError/invalidConfiguration(_:)`` naming the field to fix.
    public func validate() throws(LoadError) {
        guard peers >= 1 else { throw .invalidConfiguration("peers must be at least 1 (got \(peers))") }
        guard inflight >= 1 else { throw .invalidConfiguration("inflight must be at least 1 (got \(inflight))") }
        guard duration > .zero else { throw .invalidConfiguration("duration must be positive (got \(duration))") }
        guard payloadBytes >= 0 else { throw .invalidConfiguration("payload must be 0 or more bytes (got \(payloadBytes))") }
        guard threads >= 1 else { throw .invalidConfiguration("threads must be at least 1 (got \(threads))") }
        guard connectConcurrency >= 1 else { throw .invalidConfiguration("connect concurrency must be at least 1") }
        guard !method.isEmpty else { throw .invalidConfiguration("method must not be empty") }
        if let rate {
            guard rate > 0, rate.isFinite else { throw .invalidConfiguration("rate must be a positive number of requests/s (got \(rate))") }
        }
        if let problem = ClientCapacity.problem(units: peers, unitName: "peer", flag: "--peers", descriptorsEach: 1, bytesEach: 64 * 1024) {
            throw .invalidConfiguration(problem)
        }
    }
}
