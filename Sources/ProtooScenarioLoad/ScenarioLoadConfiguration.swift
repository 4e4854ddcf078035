import Logging
import NIOSSL
import Protoo
import ProtooSimulator
import ProtooWebSocketCore

extension ScenarioLoad {
    /// What a scenario load runs: which clients (the simulator's configuration: rooms, peers per
    /// room, duration, arrival window, seed, fault profile, reconnection), against which server,
    /// with which extra link faults, on how many threads.
    ///
    /// ```swift
    /// var configuration = ScenarioLoad.Configuration(url: "ws://127.0.0.1:4443/")
    /// configuration.clients.rooms = 20
    /// configuration.clients.duration = .seconds(60)
    /// configuration.clients.faults = .light
    /// ```
    public struct Configuration: Sendable {
        /// The server: `ws://host:port/path?query` or `wss://…`. Each client connects to it with
        /// the path and query its scenario's ``SimulationScenario/target`` gives (`roomId` and
        /// `peerId` set as in the simulator), the URL's other query parameters kept.
        public var url: String
        /// The clients, as a simulation would make them: ``SimulationConfiguration/rooms``,
        /// `peersPerRoom` (or `roomSizes`), `duration` (then everyone leaves), `arrivalWindow`,
        /// `seed`, `faults` (drawn into the same schedule as the simulator's, applied to the real
        /// connections: drops, server closes, clogs and partitions, silent and late answers),
        /// `retry` and `invariantInterval`. Its drain time, latency model and shards do not apply.
        public var clients = SimulationConfiguration()
        /// Added to every message each way on every connection (default none).
        public var latency: Duration = .zero
        /// Up to this much more per message, drawn from the client's seeded stream (order is kept).
        public var jitter: Duration = .zero
        /// Event-loop threads the clients are spread over (by room).
        public var threads = 1
        /// After everyone left: how long to wait for the last closes (default 15 s).
        public var drainTimeout: Duration = .seconds(15)
        /// Each connection attempt's limit: TCP, TLS and the WebSocket upgrade (default 10 s).
        public var connectTimeout: Duration = .seconds(10)
        /// TLS for `wss://` (default: system trust roots, hostname verification).
        public var tls: TLSConfiguration?
        /// Extra headers of every upgrade request (an `Origin`, a token).
        public var headers: [(name: String, value: String)] = []
        /// Where clients log (connection failures at debug).
        public var logger = Logger(label: "protoo.load")

        /// A load of the default clients (10 rooms × 6, 600 s, seed 1, no faults) against `url`.
        public init(url: String) {
            self.url = url
        }

        /// Checks the knobs.
        /// - Throws: ``ScenarioLoadError`` naming the one to fix.
        public func validate() throws(ScenarioLoadError) {
            do { _ = try WebSocketURL(url) } catch { throw .invalidURL(url) }
            guard clients.totalPeers > 0 else { throw .invalidConfiguration("no clients: rooms and peers per room must be at least 1") }
            guard clients.duration > .zero else { throw .invalidConfiguration("the duration must be positive") }
            guard clients.arrivalWindow >= .zero, clients.arrivalWindow <= clients.duration else {
                throw .invalidConfiguration("the arrival window must be between 0 and the duration")
            }
            guard threads >= 1 else { throw .invalidConfiguration("threads must be at least 1") }
            guard latency >= .zero, jitter >= .zero else { throw .invalidConfiguration("latency and jitter must not be negative") }
            guard clients.shards == 1, clients.servers == 1 else {
                throw .invalidConfiguration("shards and servers are the simulator's: a load runs against the one server of the URL")
            }
            guard clients.invariantInterval > .zero else { throw .invalidConfiguration("the invariant interval must be positive") }
        }
    }
}
