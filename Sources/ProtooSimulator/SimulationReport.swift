import Protoo

/// What a run measured. `digest` identifies the run's full event log: the same configuration,
/// scenario and seed give the same digest on any machine. Counts of messages are taken at the
/// server's edge; `in` is client → server, `out` server → client.
///
/// ```swift
/// let report = try Simulation(configuration, scenario: chat).run()
/// print(report.text)                        // the summary `protoo simulate` prints
/// ```
public struct SimulationReport: Sendable, Codable, Hashable {
    /// The scenario's name.
    public var scenario: String
    /// The run's seed.
    public var seed: UInt64
    /// The fault profile, as `FaultProfile.summary` writes it.
    public var faults: String
    /// Groups of clients (``SimulationConfiguration/rooms``).
    public var rooms: Int
    /// Simulated clients (``SimulationConfiguration/totalPeers``).
    public var peers: Int
    /// Independent server shards the rooms ran on (1: one server; see ``ShardedSimulation``).
    public var shards: Int
    /// Servers behind the simulated balancer (``SimulationConfiguration/servers``).
    public var servers: Int = 1
    /// Virtual time the run reached (``SimulationConfiguration/duration`` + `drainTime`).
    public var virtualSeconds: Double
    /// Wall-clock time the run took (the only wall-clock reading: never part of the events).
    public var wallSeconds: Double
    /// `virtualSeconds / wallSeconds`.
    public var speedUp: Double
    /// Events the virtual scheduler ran.
    public var schedulerEvents: Int
    /// Connection attempts that reached the server.
    public var connections: Int
    /// Connection attempts the app refused.
    public var connectionsRejected: Int
    /// Protoo messages at the server's edge, both ways.
    public var messages: Int
    /// ``messages`` by kind: `request in`, `response in`, `notification in` (client → server),
    /// `request out`, `response out`, `notification out` (server → client).
    public var messagesByKind: [String: Int]
    /// Bytes of messages the server received.
    public var bytesIn: Int
    /// Bytes of messages the server sent.
    public var bytesOut: Int
    /// Requests the simulated clients sent.
    public var clientRequests: Int
    /// Client requests that timed out.
    public var clientRequestTimeouts: Int
    /// Client requests rejected or failed by a close.
    public var clientRequestErrors: Int
    /// Requests the server sent to clients (`request out`).
    public var serverRequests: Int
    /// Server requests no response came back for.
    public var serverRequestsUnanswered: Int
    /// Times clients reconnected after losing their connection.
    public var reconnects: Int
    /// Median virtual round-trip time of the clients' answered requests, in milliseconds.
    public var latencyP50Ms: Double
    /// 99th percentile of the same, in milliseconds.
    public var latencyP99Ms: Double
    /// Longest of the same, in milliseconds.
    public var latencyMaxMs: Double
    /// The process's peak resident memory, in MB.
    public var peakMemoryMB: Double
    /// Whether the process's heap was on huge pages (see ``HugePages``): speed only, never events.
    public var hugePages: Bool
    /// A 128-bit hash (32 hex digits) of every event at the server's edge: time, connection,
    /// direction, bytes. A sharded run's covers its shards' digests in shard order.
    public var digest: String

    /// A human summary, one figure a line.
    public var text: String {
        func f(_ x: Double, _ digits: Int = 1) -> String {
            let p = [1.0, 10, 100, 1000][min(digits, 3)]
            return String(Double((x * p).rounded()) / p)
        }
        let kinds = messagesByKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return """
        scenario        \(scenario) (seed \(seed)); faults: \(faults)
        peers           \(peers) in \(rooms) rooms\(shards > 1 ? " on \(shards) server shards" : "")\(servers > 1 ? " on \(servers) servers behind a balancer" : ""); \(connections) connections (\(connectionsRejected) rejected), \(reconnects) reconnects
        virtual time    \(f(virtualSeconds)) s in \(f(wallSeconds, 3)) s wall — \(f(speedUp, 0))× real time (\(schedulerEvents) events)
        messages        \(messages) (\(kinds)); \(bytesIn) B in, \(bytesOut) B out
        requests        client→server \(clientRequests) (\(clientRequestTimeouts) timed out, \(clientRequestErrors) errors); server→client \(serverRequests) (\(serverRequestsUnanswered) unanswered)
        latency         p50 \(f(latencyP50Ms, 2)) ms, p99 \(f(latencyP99Ms, 2)) ms, max \(f(latencyMaxMs, 2)) ms (virtual, client requests)
        peak memory     \(f(peakMemoryMB)) MB\(hugePages ? " (heap on huge pages)" : "")
        digest          \(digest)
        """
    }
}

extension SimulationReport {
    /// The report of a run of `configuration` that counted `tally` in `wall` seconds.
    init(_ configuration: SimulationConfiguration, tally: SimulationTally, wall: Double) {
        let counters = tally.counters
        let sorted = tally.latencies.sorted()
        func pct(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1e6
        }
        let virtual = Double(tally.virtualNanoseconds) / 1e9
        self.init(
            scenario: configuration.scenario.rawValue, seed: configuration.seed, faults: configuration.faults.summary,
            rooms: configuration.populatedRooms, peers: configuration.totalPeers, shards: configuration.shards,
            virtualSeconds: virtual, wallSeconds: wall, speedUp: wall > 0 ? virtual / wall : 0,
            schedulerEvents: tally.events,
            connections: counters.connectionsRequested, connectionsRejected: counters.connectionsRejected,
            messages: counters.messages,
            messagesByKind: ["request in": counters.requestsIn, "response in": counters.responsesIn,
                             "notification in": counters.notificationsIn, "request out": counters.requestsOut,
                             "response out": counters.responsesOut, "notification out": counters.notificationsOut],
            bytesIn: counters.bytesIn, bytesOut: counters.bytesOut,
            clientRequests: tally.clientRequests, clientRequestTimeouts: tally.clientTimeouts,
            clientRequestErrors: tally.clientErrors,
            serverRequests: counters.requestsOut, serverRequestsUnanswered: max(0, counters.requestsOut - counters.responsesIn),
            reconnects: tally.reconnects,
            latencyP50Ms: pct(0.5), latencyP99Ms: pct(0.99), latencyMaxMs: sorted.last.map { Double($0) / 1e6 } ?? 0,
            peakMemoryMB: Simulation.peakMemoryMB(), hugePages: HugePages.applied, digest: tally.digest)
        servers = configuration.servers
    }
}

/// A broken invariant: the run stops and says how to reproduce it.
public struct SimulationFailure: Error, CustomStringConvertible {
    /// What broke (`invariant 'name': what your check returned`, or a built-in's text).
    public var invariant: String
    /// The run's seed.
    public var seed: UInt64
    /// The virtual time it broke at.
    public var time: Instant
    /// The last events before it (``SimulationConfiguration/history`` of them).
    public var lastEvents: [String]
    /// The command that runs the same seed again.
    public var reproduce: String
    /// The broken invariant's name: the name a scenario gave its invariant (``SimulationScenario/invariant(_:_:)``),
    /// or a built-in's (`request-completed-twice`, `server-peer-closed-with-pending-requests`,
    /// `closed-room-listed`, `closed-peer-in-room`, `requests-never-completed`,
    /// `peers-left-in-rooms`, `rooms-left-open`, `clients-never-finished`, `script-error`,
    /// `nondeterminism`). A minimised run must break the invariant of the same name.
    public var name: String
    /// Events the scheduler ran up to the break.
    public var events: Int

    /// A failure of invariant `name` (default: `invariant` itself) at `time`.
    public init(invariant: String, seed: UInt64, time: Instant, lastEvents: [String], reproduce: String,
                name: String? = nil, events: Int = 0) {
        self.invariant = invariant
        self.seed = seed
        self.time = time
        self.lastEvents = lastEvents
        self.reproduce = reproduce
        self.name = name ?? invariant
        self.events = events
    }

    /// All of the above, one item a line.
    public var description: String {
        """
        invariant broken at \(time) (seed \(seed)): \(invariant)
        last events:
        \(lastEvents.map { "  " + $0 }.joined(separator: "\n"))
        reproduce: \(reproduce)
        """
    }
}
