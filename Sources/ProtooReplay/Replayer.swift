import Foundation
import Logging
import Protoo
import ProtooTrace

/// Replays a trace against a fresh app: the recorded clients' events are fed at their recorded
/// times on a ``VirtualScheduler`` and the server's output, connection by connection and in order,
/// is compared with the recording.
///
/// - Connection requests (target, recorded headers, remote address), client messages, client closes
///   and network drops are fed at their recorded instants.
/// - A server request is answered by its recorded counterpart (same connection, same method, same
///   position among that method's server requests), after the recorded delay, with the live id; if
///   the recorded client never answered, nothing is sent.
/// - Server-chosen request ids are mapped recorded ↔ live; other volatile values follow
///   ``ReplayRules`` (values learned at `capture` paths are substituted in later client messages).
///
/// Deterministic: the same trace, app and options give the same report (except wall time).
/// Not `Sendable`: run it on one thread.
public final class Replayer {
    public let options: ReplayOptions
    let source: any TraceRecordSource
    /// `source` when it is a binary trace: read without making strings for canonical output.
    /// Unretained (`source` holds it): used at +0 for every record.
    let binary: TraceReader?
    let scheduler: VirtualScheduler
    let context: EngineContext
    let app: any ProtooApp
    let engineSeed: UInt64

    // Unchecked exclusivity on the per-event state below: single-threaded, and no access to one
    // of these spans a call that could touch it again. Measured with `protoo replay` of a 300 s,
    // 1,000-peer conference recording under traces/rules/conference.json: with the checks, the
    // replayer's were 1.3 % of its CPU (perf).
    @exclusivity(unchecked) var connections: [ConnectionID: ReplayConnection] = [:]
    /// The same connections by id, looked up for every recorded output: ids below 65,536
    /// (recorders number connections from 1) are an index, not a hash (both are updated together).
    @exclusivity(unchecked) private var connectionsByIndex: [ReplayConnection?] = []

    private func connection(_ id: ConnectionID) -> ReplayConnection? {
        id < UInt64(connectionsByIndex.count) ? connectionsByIndex[Int(id)] : connections[id]
    }

    private func indexConnection(_ id: ConnectionID, _ conn: ReplayConnection) {
        guard id < 65_536 else { return }
        if Int(id) >= connectionsByIndex.count { connectionsByIndex += Array(repeating: nil, count: Int(id) + 1 - connectionsByIndex.count) }
        connectionsByIndex[Int(id)] = conn
    }
    @exclusivity(unchecked) var substitutions = Substitutions()
    /// Every string the recorded clients have sent so far (messages, connection URL query values):
    /// values at capture paths that are among them are compared, not captured (see ``MessageDiff``).
    var clientValues = Set<String>()
    @exclusivity(unchecked) var history: ReplayHistory
    var divergences: [ReplayDivergence] = []
    var skipCache: [String: Bool] = [:]
    /// The rules' capture and ignore paths by method (filtered once per method, not per message).
    var diffPathCache: [String: (capture: [JSONPathPattern], ignore: [JSONPathPattern])] = [:]

    // Inputs not yet fed, sorted by time (stable), from `inputHead` on.
    @exclusivity(unchecked) var inputs: [PendingInput] = []
    @exclusivity(unchecked) var inputHead = 0
    /// The instant and generation of the one live pump (see ``schedulePump()``).
    @exclusivity(unchecked) var pumpAt: Int64?
    @exclusivity(unchecked) var pumpGeneration = 0
    /// Inputs queued and pumps run (retired ones too): at most two pumps per input (tested).
    @exclusivity(unchecked) var inputsQueued = 0
    @exclusivity(unchecked) var pumpsRun = 0
    let pumpTimer = PumpTimer()

    // Reading.
    @exclusivity(unchecked) var readerTime = Int64.min
    @exclusivity(unchecked) var endTime = Int64.min
    @exclusivity(unchecked) var eof = false
    /// Why the recording stops short (a truncated trace, or a copy of one), once the end is read.
    var cutOff: String?
    /// Live server events after a connection's last recorded one in a cut-off trace: not compared.
    var uncomparedAfterCut = 0

    // Counters.
    @exclusivity(unchecked) var events = 0
    @exclusivity(unchecked) var inputCount = 0
    @exclusivity(unchecked) var outputsCompared = 0
    var replayerCloses = 0, skippedRecords = 0

    /// Prepares a replay of `source` against the app `makeApp` builds on the replay's context.
    public init(source: any TraceRecordSource, options: ReplayOptions = ReplayOptions(),
                app makeApp: (EngineContext) -> any ProtooApp) {
        self.options = options
        self.source = source
        binary = source as? TraceReader
        scheduler = VirtualScheduler()
        var quiet = Logger(label: "protoo.replay")
        quiet.logLevel = .critical
        engineSeed = options.seed.engineSeed(for: source.header)
        context = EngineContext(scheduler: scheduler, random: SeededRandom(seed: engineSeed), logger: options.logger ?? quiet)
        app = makeApp(context)
        history = ReplayHistory(capacity: options.history)
        pumpTimer.replayer = self
    }

    deinit {
        // Connections still open at the end hold their peers (the transport contract); let them go.
        for conn in connections.values { conn.delegate = nil }
    }

    /// Opens the trace at `path` (`.jsonl` or binary) and prepares its replay. `continuations` are
    /// the files that continue a rotated recording, in order (see ``TraceSegments``).
    public convenience init(path: String, continuations: [String] = [], options: ReplayOptions = ReplayOptions(),
                            app makeApp: (EngineContext) -> any ProtooApp) throws(ReplayError) {
        let source: any TraceRecordSource
        do {
            source = continuations.isEmpty ? try TraceFiles.openSource(path) : try TraceSegments(path, continuedBy: continuations)
        } catch {
            throw .trace(error)
        }
        self.init(source: source, options: options, app: makeApp)
    }

    /// Runs the whole replay. `progress` gets the fraction of virtual time done, now and then
    /// (only for binary traces with a trailer). Throws only when the trace cannot be read.
    public func run(progress: ((Double) -> Void)? = nil) throws(ReplayError) -> ReplayReport {
        let wallStart = ContinuousClock.now
        let plannedEnd = (source as? TraceReader)?.trailer?.endTime
        let lookahead = options.lookahead.nanoseconds
        var firstVirtual: Int64?
        var steps = 0
        var stopped = false
        while true {
            do {
                // Saturating: a time near the format's bound must not wrap around and read forever.
                while !eof, readerTime <= Self.adding(scheduler.nextDeadline?.nanoseconds ?? readerTime, lookahead) { try readOne() }
            } catch {
                throw .trace(error)
            }
            guard let next = scheduler.nextDeadline else {
                if eof { break } else { continue }
            }
            // +1 ns: a recorded server close at the last instant is replayed 1 ns after it.
            if eof, next.nanoseconds > endTime &+ 1 { break }
            if case .paced(let factor) = options.speed {
                let origin = firstVirtual ?? next.nanoseconds
                firstVirtual = origin
                let due = wallStart + .nanoseconds(Int64(Double(next.nanoseconds - origin) / factor))
                let wait = due - ContinuousClock.now
                if wait > .zero { Thread.sleep(forTimeInterval: Double(wait.nanoseconds) / 1e9) }
            }
            scheduler.step()
            steps += 1
            if divergences.count >= options.stopAfterDivergences { stopped = true; break }
            if steps & 0xFFF == 0, let progress, let plannedEnd, plannedEnd > 0 {
                progress(Double(scheduler.now.nanoseconds) / Double(plannedEnd))
            }
        }
        if !stopped { reportMissing() }
        divergences.sort { ($0.time, $0.connection) < ($1.time, $1.connection) }
        let wall = ContinuousClock.now - wallStart
        return ReplayReport(
            events: events, inputs: inputCount, outputsCompared: outputsCompared, divergences: divergences,
            virtualDuration: .nanoseconds(max(0, endTime)), wallSeconds: Double(wall.nanoseconds) / 1e9,
            engineSeed: engineSeed, substitutionsLearned: substitutions.count, replayerServerCloses: replayerCloses,
            skippedRecords: skippedRecords, stoppedEarly: stopped,
            truncation: cutOff.map { ReplayTruncation(reason: $0, comparedUpTo: .nanoseconds(max(0, endTime)), uncomparedOutputs: uncomparedAfterCut) },
            metadataDamage: source.damages.map(\.description), allowsEmpty: options.allowsEmpty)
    }

    // MARK: Reading

    /// Reads one record (see ``take(_:)``).
    private func readOne() throws(TraceError) {
        guard let binary else {
            guard let record = try source.next() else {
                reachedEnd()
                return
            }
            return take(record)
        }
        guard let raw = try binary.nextUndecoded() else {
            reachedEnd()
            return
        }
        guard let bytes = raw.messageOut else {
            return take(TraceRecord(time: raw.time, connection: raw.connection, event: raw.event!))  // a record that is not a server message carries its decoded event
        }
        // Most records are canonical notifications and responses: kept as bytes, no string made
        // (a skip rule's method is read from the bytes too).
        if WireSummary.isCanonicalNonRequest(bytes) {
            events += 1
            readerTime = max(readerTime, raw.time)
            endTime = max(endTime, raw.time)
            guard let conn = connection(raw.connection) else {
                skippedRecords += 1
                return
            }
            if !options.rules.skip.isEmpty, let method = WireSummary.canonicalNotificationMethod(bytes), skips(method) { return }
            conn.expectCanonical(bytes, at: raw.time)
            return
        }
        take(TraceRecord(time: raw.time, connection: raw.connection, event: .messageOut(String(decoding: bytes, as: UTF8.self))))
    }

    /// The last record is read: from now on, whether the recording was cut off is known.
    private func reachedEnd() {
        eof = true
        cutOff = source.endedEarly
    }

    /// Takes one record: inputs go to the queue, server events to their connection's expectations.
    private func take(_ record: TraceRecord) {
        events += 1
        let t = record.time
        readerTime = max(readerTime, t)
        endTime = max(endTime, t)
        if case .connectionRequested(let target, let headers, let remote) = record.event {
            let conn = ReplayConnection(id: record.connection, target: target, replayer: self)
            connections[record.connection] = conn
            indexConnection(record.connection, conn)
            enqueueInput(PendingInput(time: t, sequence: events, connection: conn, kind: .connect(target: target, headers: headers, remoteAddress: remote)))
            return
        }
        if case .marker = record.event { return }
        guard let conn = connections[record.connection] else {
            skippedRecords += 1
            return
        }
        switch record.event {
        case .connectionRequested, .marker:
            break
        case .accepted:
            conn.expect(.accepted, at: t)
        case .rejected(let status, let reason):
            conn.expect(.rejected(status: status, reason: reason), at: t)
        case .messageIn(let text):
            let summary = WireSummary.scan(text)
            switch summary.kind {
            case .response:
                if let pair = conn.pairByRecordedID[summary.id], pair.response == nil {
                    pair.response = (text, t, events)
                    scheduleResponse(pair, on: conn)
                    return
                }
            case .request:
                conn.clientMethods[summary.id] = summary.method
            case .notification, .invalid:
                break
            }
            enqueueInput(PendingInput(time: t, sequence: events, connection: conn, kind: .message(text)))
        case .messageOut(let text):
            if options.rules.skip.isEmpty, WireSummary.isCanonicalNonRequest(text) {
                conn.expect(.message(text, nil), at: t)
                return
            }
            let summary = WireSummary.scan(text)
            if summary.kind == .request {
                let pair = conn.recordedRequest(id: summary.id, method: summary.method, at: t)
                scheduleResponse(pair, on: conn)
            }
            if summary.kind != .response, skips(summary.method) { return }
            conn.expect(.message(text, summary), at: t)
        case .closed(let code, let reason, let initiator):
            conn.expect(.closed(code: code, reason: reason, initiator: initiator), at: t)
            switch initiator {
            case .client:
                enqueueInput(PendingInput(time: t, sequence: events, connection: conn,
                                          kind: .clientClose(TransportCloseEvent(code: code, reason: reason, initiator: .remote))))
            case .network:
                enqueueInput(PendingInput(time: t, sequence: events, connection: conn,
                                          kind: .clientClose(TransportCloseEvent(code: code, reason: reason, initiator: .network))))
            case .server:
                if options.serverCloses == .replayMissing {
                    enqueueInput(PendingInput(time: t &+ 1, sequence: events, connection: conn, kind: .serverClose(code: code, reason: reason)))
                }
            }
        }
    }

    /// At the end: every connection that has recorded events left never produced them. (A cut-off
    /// recording holds a prefix of each connection's events: what it has, the server must produce.)
    private func reportMissing() {
        for id in connections.keys.sorted() {
            guard let conn = connections[id], !conn.diverged, let first = conn.firstUnmatched else { continue }
            conn.diverged = true
            let at = Instant(nanoseconds: first.time)
            divergences.append(ReplayDivergence(
                kind: .missing, time: at, recordedTime: at, connection: id, peer: conn.peer, room: conn.room,
                method: method(of: first.output, on: conn), expected: first.output.text, actual: nil,
                differences: [], lastEvents: history.lines))
        }
    }

    /// `a + b`, saturating at `Int64`'s bounds.
    static func adding(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? .max : .min) : sum
    }
}
