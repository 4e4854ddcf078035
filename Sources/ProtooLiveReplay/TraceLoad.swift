import Histogram
import NIOCore
import NIOPosix
import Protoo
import ProtooClient
import ProtooReplay
import ProtooTrace

/// Load from a recording: `copies` copies of the recorded sessions replayed at once against a
/// live server, each with its own peer and room ids (`<id>-<copy>`, rewritten in URLs and
/// messages both ways), answering the server's requests as recorded. Reports per-method latency
/// of the client requests, errors by method and code, and each copy's divergences (counted).
public struct TraceLoad {
    public var copies: Int
    public var threads: Int
    public var options: LiveReplayOptions
    let plan: LivePlan
    let url: WebSocketURL
    let target: String

    public init(path: String, continuations: [String] = [], target: String, copies: Int, threads: Int = 1,
                options: LiveReplayOptions = LiveReplayOptions()) throws(LiveReplayError) {
        let replayer = try LiveReplayer(path: path, continuations: continuations, target: target, options: options)
        plan = replayer.plan
        url = replayer.url
        self.target = target
        self.copies = max(1, copies)
        self.threads = max(1, threads)
        self.options = options
    }

    /// Runs every copy to its end (blocks the calling thread).
    public func run() throws(LiveReplayError) -> TraceLoadReport {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        defer { try? group.syncShutdownGracefully() }
        let plans = (1...copies).map { plan.copy($0) }
        let start = ContinuousClock.now
        let sessions = try LiveReplayer.run(plans, options: options, url: url, group: group, measuresLoad: true)
        let wall = ContinuousClock.now - start
        return TraceLoadReport(sessions: sessions, target: target, plan: plan, wallSeconds: Double(wall.nanoseconds) / 1e9)
    }
}

/// What `protoo load --trace` prints.
public struct TraceLoadReport: Sendable, Codable, CustomStringConvertible {
    public struct Method: Sendable, Codable {
        public var method: String
        public var count: Int
        /// Microseconds.
        public var p50: Double, p90: Double, p99: Double, max: Double
    }

    public var target: String
    public var copies: Int
    /// Recorded connections per copy.
    public var connectionsPerCopy: Int
    public var connectionsOpened: Int
    public var messagesSent: Int
    public var messagesReceived: Int
    public var wallSeconds: Double
    /// Client requests answered, by method (latency from send to response).
    public var methods: [Method]
    /// Error responses, by "method code".
    public var errors: [String: Int]
    /// Divergences per copy (copy 1 first).
    public var divergencesPerCopy: [Int]

    public var divergences: Int { divergencesPerCopy.reduce(0, +) }

    init(sessions: [LiveSession], target: String, plan: LivePlan, wallSeconds: Double) {
        self.target = target
        copies = sessions.count
        connectionsPerCopy = plan.connections.count
        connectionsOpened = sessions.map(\.connectionsOpened).reduce(0, +)
        messagesSent = sessions.map(\.messagesSent).reduce(0, +)
        messagesReceived = sessions.map(\.messagesReceived).reduce(0, +)
        self.wallSeconds = wallSeconds
        var merged: [String: Histogram<UInt64>] = [:]
        var errors: [String: Int] = [:]
        for s in sessions {
            for (method, h) in s.latencies {
                if merged[method] == nil { merged[method] = h } else { merged[method]!.add(h) }
            }
            errors.merge(s.errors, uniquingKeysWith: +)
        }
        methods = merged.keys.sorted().map { m in
            let h = merged[m]!
            return Method(method: m, count: Int(h.totalCount), p50: Double(h.valueAtPercentile(50)),
                          p90: Double(h.valueAtPercentile(90)), p99: Double(h.valueAtPercentile(99)), max: Double(h.max))
        }
        self.errors = errors
        divergencesPerCopy = sessions.map(\.divergences.count)
    }

    public var description: String {
        func ms(_ us: Double) -> String { String(format: "%.2f", us / 1000) }
        var lines = [
            "load from a trace against \(target)",
            "copies:      \(copies) × \(connectionsPerCopy) recorded connections (\(connectionsOpened) opened)",
            "messages:    \(messagesSent) sent, \(messagesReceived) received in \(String(format: "%.2f", wallSeconds)) s",
            "divergences: \(divergences)" + (divergences == 0 ? "" : " (per copy: \(divergencesPerCopy.map(String.init).joined(separator: " ")))"),
            "",
            "method".padding(toLength: 28, withPad: " ", startingAt: 0) + "count     p50 ms   p90 ms   p99 ms   max ms",
        ]
        for m in methods {
            let count = String(m.count).padding(toLength: 10, withPad: " ", startingAt: 0)
            lines.append(m.method.padding(toLength: 28, withPad: " ", startingAt: 0) + count
                         + [m.p50, m.p90, m.p99, m.max].map { ms($0).padding(toLength: 9, withPad: " ", startingAt: 0) }.joined())
        }
        if !errors.isEmpty {
            lines.append("")
            lines.append("errors: " + errors.keys.sorted().map { "\($0): \(errors[$0]!)" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }
}
