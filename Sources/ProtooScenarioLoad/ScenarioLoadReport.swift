import Foundation
import Protoo
import ProtooSimulator
import ProtooVerdict

/// What a scenario load measured. The keys shared with `protoo simulate --json` mean the same
/// (`scenario`, `seed`, `faults`, `rooms`, `peers`, `connections`, `connectionsRejected`,
/// `clientRequests`, `clientRequestTimeouts`, `clientRequestErrors`, `reconnects`,
/// `latencyP50Ms`, `latencyP99Ms`, `latencyMaxMs`, `wallSeconds`, `peakMemoryMB`), seen from the
/// clients over real connections.
public struct ScenarioLoadReport: Sendable, Codable {
    /// One request method's figures.
    public struct Method: Sendable, Codable, Hashable {
        public var method: String
        /// Requests sent.
        public var requests: Int
        /// Answered with success.
        public var answered: Int
        /// Failed requests by cause: the error response's code (`"404"`), `timeout`, `closed`
        /// (the connection closed while it was pending: a drop, or the client leaving).
        public var errors: [String: Int]
        /// Latency of the answers (success and error responses), in milliseconds, from an
        /// HdrHistogram (3 significant digits).
        public var p50Ms: Double
        public var p90Ms: Double
        public var p99Ms: Double
        public var maxMs: Double
    }

    /// One invariant: how often it was checked and broken.
    public struct InvariantSummary: Sendable, Codable, Hashable {
        public var name: String
        /// Events or clients examined (responses and messages for the protocol invariants, clients
        /// × checks for a scenario's).
        public var checks: Int
        public var breaks: Int
    }

    public var scenario: String
    public var url: String
    public var seed: UInt64
    /// The fault profile, as `simulate` writes it, plus the per-message latency and jitter.
    public var faults: String
    public var rooms: Int
    /// Clients (simulated browsers) the run made.
    public var peers: Int
    public var threads: Int
    /// Until everyone left.
    public var durationSeconds: Double
    /// Wall-clock time of the whole run (arrivals, duration, last closes).
    public var wallSeconds: Double
    /// Connections that opened (first connects and reconnects).
    public var connections: Int
    /// Connections open just before everyone left (the load held at its end).
    public var connectionsHeld: Int
    /// The most connections open at once (each event loop's peak, added up).
    public var peakConnections: Int
    /// Upgrade requests the server refused (an HTTP status).
    public var connectionsRejected: Int
    /// Connection attempts that failed (refused, unreachable, timed out).
    public var connectionAttemptsFailed: Int
    /// Refused attempts by HTTP status.
    public var refusals: [String: Int]
    /// Times clients reconnected after losing their connection.
    public var reconnects: Int
    public var clientsFinished: Int
    /// Clients that gave up reconnecting (their retries ran out, as protoo-client's: the server was
    /// unreachable or refused them for about a minute).
    public var clientsGaveUp: Int
    /// Requests the clients sent.
    public var clientRequests: Int
    public var clientRequestTimeouts: Int
    /// Requests rejected or failed by a close.
    public var clientRequestErrors: Int
    /// Over every method's answers, in milliseconds.
    public var latencyP50Ms: Double
    public var latencyP99Ms: Double
    public var latencyMaxMs: Double
    /// Per request method, by name.
    public var methods: [Method]
    /// Notifications the clients sent, by method.
    public var notificationsSent: [String: Int]
    /// Notifications the server sent the clients, by method.
    public var notificationsReceived: [String: Int]
    /// Server requests the clients answered, by method (silent clients answer none).
    public var serverRequestsAnswered: [String: Int]
    /// Protoo messages each way.
    public var messagesSent: Int
    public var messagesReceived: Int
    /// Responses that came after their request timed out (not a break: a slow or clogged network).
    public var lateResponses: Int
    /// Faults applied, by kind (`drop`, `serverClose`, `clog`, `partition`, `leave`).
    public var faultsInjected: [String: Int]
    /// Faults due while their client had no open connection (connecting, or waiting to retry).
    public var faultsMissed: [String: Int]
    /// Every invariant the clients checked.
    public var invariants: [InvariantSummary]
    /// How many times an invariant broke.
    public var invariantBreaks: Int
    /// The first breaks of each invariant, in time order.
    public var breaks: [InvariantBreak]
    /// CPU the load process used during the run (user + system), and its peak resident memory.
    public var cpuSeconds: Double
    public var peakMemoryMB: Double
    /// Stopped early (SIGINT): the figures are up to there.
    public var interrupted: Bool
    /// For thresholds: latency, requests and errors per method. Not in the JSON.
    public var measurements = Measurements()

    enum CodingKeys: String, CodingKey {
        case scenario, url, seed, faults, rooms, peers, threads, durationSeconds, wallSeconds, connections, connectionsHeld, peakConnections, connectionsRejected,
             connectionAttemptsFailed, refusals, reconnects, clientsFinished, clientsGaveUp, clientRequests, clientRequestTimeouts,
             clientRequestErrors, latencyP50Ms, latencyP99Ms, latencyMaxMs, methods, notificationsSent, notificationsReceived,
             serverRequestsAnswered, messagesSent, messagesReceived, lateResponses, faultsInjected, faultsMissed, invariants,
             invariantBreaks, breaks, cpuSeconds, peakMemoryMB, interrupted
    }

    /// The invariants every scenario load checks, besides a scenario's own ``SimulationScenario/clientInvariant(_:_:)``s.
    public static let builtInInvariants = [
        "response-to-unknown-request", "request-answered-twice", "invalid-message", "request-completed-twice",
        "requests-never-completed", "clients-never-finished", "script-error",
    ]

    init(configuration: ScenarioLoad.Configuration, tally: ScenarioLoadTally, elapsed: Duration, usage: ResourceUsage, interrupted: Bool) {
        let c = configuration.clients
        scenario = c.scenario.rawValue
        url = configuration.url
        seed = c.seed
        var faults = c.faults.summary
        if configuration.latency > .zero || configuration.jitter > .zero {
            faults += " latency=\(configuration.latency)+\(configuration.jitter)"
        }
        self.faults = faults
        rooms = c.populatedRooms
        peers = tally.clients
        threads = configuration.threads
        durationSeconds = Double(c.duration.nanoseconds) / 1e9
        wallSeconds = Double(elapsed.nanoseconds) / 1e9
        connections = tally.connections
        connectionsHeld = tally.connectionsHeld
        peakConnections = tally.peakConnections
        refusals = tally.refusals
        connectionsRejected = tally.refusals.values.reduce(0, +)
        connectionAttemptsFailed = tally.attemptsFailed
        reconnects = tally.reconnects
        clientsFinished = tally.clientsFinished
        clientsGaveUp = tally.clientsGaveUp
        measurements = tally.measurements
        clientRequests = tally.measurements.requests.values.reduce(0, +)
        clientRequestTimeouts = tally.errorsByMethod.values.reduce(0) { $0 + ($1["timeout"] ?? 0) }
        clientRequestErrors = tally.measurements.errors.values.reduce(0, +) - clientRequestTimeouts
        latencyP50Ms = 0
        latencyP99Ms = 0
        latencyMaxMs = 0
        methods = tally.measurements.requests.keys.sorted().map { method in
            let errors = tally.errorsByMethod[method] ?? [:]
            let rejected = errors.filter { $0.key != "timeout" && $0.key != "closed" }.values.reduce(0, +)
            return Method(method: method, requests: tally.measurements.requests[method] ?? 0,
                          answered: Int(tally.measurements.latency[method]?.totalCount ?? 0) - rejected, errors: errors,
                          p50Ms: 0, p90Ms: 0, p99Ms: 0, maxMs: 0)
        }
        notificationsSent = tally.notificationsSent
        notificationsReceived = tally.notificationsReceived
        serverRequestsAnswered = tally.serverRequestsAnswered
        messagesSent = tally.messagesSent
        messagesReceived = tally.messagesReceived
        lateResponses = tally.lateResponses
        faultsInjected = tally.faultsInjected
        faultsMissed = tally.faultsMissed
        // What each built-in invariant examined: every message received, every completed request,
        // the end of the run, every client's script.
        let checks = [tally.messagesReceived, tally.messagesReceived, tally.messagesReceived, clientRequests, 1, 1, tally.clients]
        var invariants = zip(Self.builtInInvariants, checks).map { name, checks in
            InvariantSummary(name: name, checks: checks, breaks: tally.breakCounts[name] ?? 0)
        }
        for (name, checks) in tally.invariantChecks.sorted(by: { $0.key < $1.key }) {
            invariants.append(.init(name: name, checks: checks, breaks: tally.breakCounts[name] ?? 0))
        }
        self.invariants = invariants
        invariantBreaks = tally.breakCounts.values.reduce(0, +)
        breaks = tally.breaks
        cpuSeconds = usage.cpuSeconds
        peakMemoryMB = usage.peakMemoryMB
        self.interrupted = interrupted
        applyLatency()
    }

    /// The invariants that broke, by name, in the order of their first break.
    public var brokenInvariants: [String] {
        var names: [String] = []
        for broken in breaks where !names.contains(broken.invariant) { names.append(broken.invariant) }
        for invariant in invariants where invariant.breaks > 0 && !names.contains(invariant.name) { names.append(invariant.name) }
        return names
    }

    /// The summary `protoo load --scenario` prints.
    public var text: String {
        func f1(_ x: Double) -> String { String(format: "%.1f", x) }
        func f2(_ x: Double) -> String { String(format: "%.2f", x) }
        func counts(_ d: [String: Int]) -> String {
            d.isEmpty ? "none" : d.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        }
        var lines = [
            "scenario        \(scenario) against \(url)",
            "clients         \(peers) in \(rooms) room\(rooms == 1 ? "" : "s"), seed \(seed), \(threads) thread\(threads == 1 ? "" : "s")",
            "faults          \(faults)",
            "time            \(f1(durationSeconds)) s until everyone left, \(f1(wallSeconds)) s in all\(interrupted ? " (interrupted)" : "")",
            "connections     \(connections) opened (\(connectionsHeld) held before everyone left, at most \(peakConnections) at once), \(reconnects) reconnects, \(connectionAttemptsFailed) attempts failed (refused: \(counts(refusals)))\(clientsGaveUp > 0 ? ", \(clientsGaveUp) clients gave up reconnecting" : "")",
            "requests        \(clientRequests) sent, \(clientRequestTimeouts) timed out, \(clientRequestErrors) failed otherwise, \(lateResponses) late answers",
            "latency         p50 \(f2(latencyP50Ms)) ms, p99 \(f2(latencyP99Ms)) ms, max \(f2(latencyMaxMs)) ms",
        ]
        if !methods.isEmpty {
            let width = max(14, methods.map(\.method.count).max() ?? 0 + 1)
            let heads = ["requests", "answered", "p50 ms", "p90 ms", "p99 ms", "max ms"].map { $0.leftPadded(9) }
            lines.append("by method".padded(width + 2) + heads.joined(separator: " ") + "  errors")
            for m in methods {
                let cells = [m.requests, m.answered].map { String($0).leftPadded(9) } + [m.p50Ms, m.p90Ms, m.p99Ms, m.maxMs].map { f2($0).leftPadded(9) }
                lines.append("  " + m.method.padded(width) + cells.joined(separator: " ") + "  " + (m.errors.isEmpty ? "-" : counts(m.errors)))
            }
        }
        lines.append("notifications   sent: \(counts(notificationsSent)); received: \(counts(notificationsReceived))")
        lines.append("server requests answered: \(counts(serverRequestsAnswered))")
        lines.append("faults injected \(counts(faultsInjected))\(faultsMissed.isEmpty ? "" : " (missed, no open connection: \(counts(faultsMissed)))")")
        let checked = invariants.map { "\($0.name) \($0.breaks == 0 ? "ok" : "BROKEN ×\($0.breaks)")" }
        lines.append("invariants      \(checked.joined(separator: ", "))")
        lines.append("cost            \(f2(cpuSeconds)) CPU s, peak RSS \(f1(peakMemoryMB)) MB (\(peers > 0 ? f1(peakMemoryMB * 1024 / Double(peers)) : "0") KB per client)")
        for broken in breaks { lines.append(broken.description) }
        return lines.joined(separator: "\n")
    }
}

extension String {
    fileprivate func padded(_ width: Int) -> String { count >= width ? self + " " : self + String(repeating: " ", count: width - count) }
    fileprivate func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
