import Protoo
import ProtooTrace

/// Shrinks a trace whose in-process replay diverges to the smallest trace found whose replay
/// still diverges *the same way* (same first divergence: kind, method and JSON path): first the
/// records after that divergence go (the cut trace says it was cut, so a replay compares nothing
/// a connection does after its last record), then whole connections, then client messages (a
/// request with its recorded response), by delta debugging. The result is an ordinary trace.
///
/// ```swift
/// let minimizer = TraceMinimizer(app: { BuggyApp(context: $0) })
/// if let result = try minimizer.minimize(path: "session.ptrace.zst") {
///     try result.write(to: "small.ptrace.zst")
/// }
/// ```
public struct TraceMinimizer {
    /// What makes two divergences "the same": kind, method and the first differing path.
    public struct Signature: Hashable, Sendable, CustomStringConvertible {
        public var kind: ReplayDivergence.Kind
        public var method: String?
        public var path: String?

        /// The signature of `divergence`.
        public init(_ divergence: ReplayDivergence) {
            kind = divergence.kind
            method = divergence.method
            path = divergence.differences.first.map { $0.path.description }
        }

        /// `mismatch of join at data.peers`.
        public var description: String {
            "\(kind.rawValue)\(method.map { " of \($0)" } ?? "")\(path.map { " at \($0)" } ?? "")"
        }
    }

    /// The smallest diverging trace found, and the one it came from.
    public struct Result {
        /// The trace's header (the original's).
        public var header: TraceHeader
        /// The cut trace's records.
        public var records: [TraceRecord]
        /// Why the cut trace stops short (written into it), when records after the divergence went.
        public var endedEarly: String?
        /// Records, connections and client messages of the original trace.
        public var originalRecords: Int, originalConnections: Int, originalClientMessages: Int
        /// The original replay's first divergence.
        public var originalDivergence: ReplayDivergence
        /// The cut trace's first divergence (same ``Signature``).
        public var divergence: ReplayDivergence
        /// Replays tried.
        public var runs: Int
        /// Wall-clock time the search took.
        public var searchTime: Duration
        /// Whether the budget ran out first (the best trace so far is kept).
        public var budgetExhausted: Bool

        /// Connections in the cut trace.
        public var connections: Int { TraceMinimizer.connections(records) }
        /// Client messages in the cut trace.
        public var clientMessages: Int { records.filter { if case .messageIn = $0.event { true } else { false } }.count }

        /// Writes the cut trace (`.ptrace.zst`, `.ptrace` or `.jsonl`, by extension).
        public func write(to path: String) throws(TraceError) {
            let sink = try TraceFiles.createSink(path, header: header)
            for record in records { try sink.write(record) }
            if let endedEarly { sink.markSourceEndedEarly(endedEarly) }
            try sink.close(endTime: records.last?.time)
        }
    }

    /// How the replays run (rules, seed, strictness); speed is always `max`.
    public var options: ReplayOptions
    /// The app each replay runs.
    public var app: ProtooAppFactory
    /// Wall-clock time the search may take (default 3 minutes).
    public var budget: Duration

    /// A minimiser replaying against `app` with `options`, searching for at most `budget`.
    public init(options: ReplayOptions = ReplayOptions(), budget: Duration = .seconds(180), app: @escaping ProtooAppFactory) {
        self.options = options
        self.options.speed = .maximum
        self.app = app
        self.budget = budget
    }

    /// Reads the trace at `path` and minimises its replay's first divergence; `nil` when the
    /// replay does not diverge.
    /// - Throws: ``ReplayError`` when the trace cannot be read.
    public func minimize(path: String) throws(ReplayError) -> Result? {
        let source: any TraceRecordSource
        var records: [TraceRecord] = []
        do {
            source = try TraceFiles.openSource(path)
            while let record = try source.next() { records.append(record) }
        } catch {
            throw .trace(error)
        }
        return try minimize(header: source.header, records: records, endedEarly: source.endedEarly)
    }

    /// Minimises the first divergence of a replay of `records`; `nil` when it does not diverge.
    public func minimize(header: TraceHeader, records: [TraceRecord], endedEarly: String? = nil) throws(ReplayError) -> Result? {
        let clock = ContinuousClock()
        let started = clock.now
        let deadline = started + budget
        var runs = 0, outOfTime = false
        func replay(_ candidate: [TraceRecord], _ ended: String?) throws(ReplayError) -> ReplayDivergence? {
            runs += 1
            let report = try Replayer(source: TraceRecordList(header: header, records: candidate, endedEarly: ended), options: options, app: app).run()
            return report.divergences.min { ($0.time, $0.connection) < ($1.time, $1.connection) }
        }
        guard let first = try replay(records, endedEarly) else { return nil }
        let target = Signature(first)
        var best = records, bestEnded = endedEarly, bestDivergence = first
        var failure: ReplayError?
        /// Adopts `candidate` if its replay diverges the same way; `nil` once out of budget.
        func adopt(_ candidate: [TraceRecord], _ ended: String?) -> Bool? {
            guard !outOfTime, failure == nil else { return nil }
            guard clock.now < deadline else {
                outOfTime = true
                return nil
            }
            do {
                guard let divergence = try replay(candidate, ended), Signature(divergence) == target else { return false }
                best = candidate
                bestEnded = ended
                bestDivergence = divergence
                return true
            } catch {
                failure = error
                return nil
            }
        }
        // 1. Nothing after the divergence matters.
        let cutAt = max(first.time, first.recordedTime ?? first.time).nanoseconds
        if let last = records.last, last.time > cutAt {
            _ = adopt(records.filter { $0.time <= cutAt },
                      "cut by replay --minimize after the first divergence (\(target)) at \(Instant(nanoseconds: cutAt))")
        }
        // 2. Whole connections.
        let ids = Self.connectionIDs(best)
        _ = DeltaDebugging.minimize(ids) { kept in
            let keep = Set(kept)
            return adopt(best.filter { $0.connection == 0 || keep.contains($0.connection) }, bestEnded)
        }
        // 3. Client messages, each request with its recorded response.
        let units = Self.clientMessageUnits(best)
        _ = DeltaDebugging.minimize(Array(units.indices), tryEmpty: true) { kept in
            let snapshot = best
            var drop = Set(units.indices.flatMap { units[$0] })
            for index in kept { drop.subtract(units[index]) }
            return adopt(snapshot.enumerated().filter { !drop.contains($0.offset) }.map(\.element), bestEnded)
        }
        if let failure { throw failure }
        return Result(header: header, records: best, endedEarly: bestEnded, originalRecords: records.count,
                      originalConnections: Self.connections(records),
                      originalClientMessages: records.filter { if case .messageIn = $0.event { true } else { false } }.count,
                      originalDivergence: first, divergence: bestDivergence, runs: runs,
                      searchTime: clock.now - started, budgetExhausted: outOfTime)
    }

    /// The connections of `records` that requested a connection, in order of first appearance.
    static func connectionIDs(_ records: [TraceRecord]) -> [ConnectionID] {
        var seen = Set<ConnectionID>(), ids: [ConnectionID] = []
        for record in records where record.connection != 0 {
            if case .connectionRequested = record.event, seen.insert(record.connection).inserted { ids.append(record.connection) }
        }
        return ids
    }

    static func connections(_ records: [TraceRecord]) -> Int { connectionIDs(records).count }

    /// Each client message of `records` as the record indices that go with it: a client request
    /// with its recorded response, anything else alone.
    package static func clientMessageUnits(_ records: [TraceRecord]) -> [[Int]] {
        var units: [[Int]] = []
        /// Open client requests by connection and id: the unit waiting for its response.
        var waiting: [ConnectionID: [RequestID: Int]] = [:]
        for (index, record) in records.enumerated() {
            switch record.event {
            case .messageIn(let text):
                let message = try? Message.decode(text)
                if case .request(let id, _, _)? = message { waiting[record.connection, default: [:]][id] = units.count }
                units.append([index])
            case .messageOut(let text):
                guard let message = try? Message.decode(text), message.kind == .response, let id = message.id,
                      let unit = waiting[record.connection]?.removeValue(forKey: id) else { continue }
                units[unit].append(index)
            default:
                continue
            }
        }
        return units
    }
}
