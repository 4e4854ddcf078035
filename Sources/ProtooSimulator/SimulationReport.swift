import Protoo

/// What a run measured. `digest` identifies the run's full event log.
public struct SimulationReport: Sendable, Codable, Hashable {
    public var scenario: String
    public var seed: UInt64
    public var faults: String
    public var rooms: Int
    public var peers: Int
    /// Independent server shards the rooms ran on (1: one server; see ``ShardedSimulation``).
    public var shards: Int
    public var virtualSeconds: Double
    public var wallSeconds: Double
    public var speedUp: Double
    public var schedulerEvents: Int
    public var connections: Int
    public var connectionsRejected: Int
    public var messages: Int
    public var messagesByKind: [String: Int]
    public var bytesIn: Int
    public var bytesOut: Int
    public var clientRequests: Int
    public var clientRequestTimeouts: Int
    public var clientRequestErrors: Int
    public var serverRequests: Int
    public var serverRequestsUnanswered: Int
    public var reconnects: Int
    public var latencyP50Ms: Double
    public var latencyP99Ms: Double
    public var latencyMaxMs: Double
    public var peakMemoryMB: Double
    /// Whether the process's heap was on huge pages (see ``HugePages``): speed only, never events.
    public var hugePages: Bool
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
        peers           \(peers) in \(rooms) rooms\(shards > 1 ? " on \(shards) server shards" : ""); \(connections) connections (\(connectionsRejected) rejected), \(reconnects) reconnects
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
            rooms: configuration.rooms, peers: configuration.totalPeers, shards: configuration.shards,
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
    }
}

/// A broken invariant: the run stops and says how to reproduce it.
public struct SimulationFailure: Error, CustomStringConvertible {
    public var invariant: String
    public var seed: UInt64
    public var time: Instant
    public var lastEvents: [String]
    public var reproduce: String

    public var description: String {
        """
        invariant broken at \(time) (seed \(seed)): \(invariant)
        last events:
        \(lastEvents.map { "  " + $0 }.joined(separator: "\n"))
        reproduce: \(reproduce)
        """
    }
}
