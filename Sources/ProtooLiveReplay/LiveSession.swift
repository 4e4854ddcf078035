import Histogram
import Logging
import NIOCore
import NIOSSL
import Protoo
import ProtooClient
import ProtooReplay
import ProtooWebSocket

/// One live replay of a plan against a server, on one event loop: connects each recorded client
/// with its recorded URL, sends what it sent once the server events recorded before have arrived
/// (and, when paced, at its recorded offset), answers the server's requests as recorded, closes as
/// the client did, and compares what the server sends with the recording.
final class LiveSession {
    let plan: LivePlan
    let options: LiveReplayOptions
    let server: WebSocketURL
    let loop: any EventLoop
    let sslContext: NIOSSLContext?
    /// Per-method latency and errors of the client requests (for `protoo load --trace`).
    let measuresLoad: Bool

    private var connections: [LiveConnection] = []
    /// Steps done: inputs performed, server events matched or given up on.
    private var done: [Bool]
    /// The first step not done.
    private var frontier = 0
    /// The next client step to perform.
    private var cursor = 0
    private var startNanos: UInt64 = 0
    private var waitTimer: Scheduled<Void>?
    private var waitingFor: Int?
    private var paceTimer: Scheduled<Void>?
    private var settleTimer: Scheduled<Void>?
    private var finished = false
    private var completion: ((LiveSession) -> Void)?

    // Comparison.
    private var substitutions = Substitutions()
    private var clientValues = Set<String>()
    private var history: ReplayHistory
    private var diffPathCache: [String: (capture: [JSONPathPattern], ignore: [JSONPathPattern])] = [:]
    private(set) var divergences: [ReplayDivergence] = []
    private(set) var stoppedEarly = false

    // Counts.
    private(set) var inputs = 0
    private(set) var outputsCompared = 0
    private(set) var messagesSent = 0
    private(set) var messagesReceived = 0
    private(set) var connectionsOpened = 0
    private(set) var notSent = 0
    private(set) var wallSeconds = 0.0
    private(set) var latencies: [String: Histogram<UInt64>] = [:]
    private(set) var errors: [String: Int] = [:]

    init(plan: LivePlan, options: LiveReplayOptions, server: WebSocketURL, loop: any EventLoop,
         sslContext: NIOSSLContext?, measuresLoad: Bool = false) {
        self.plan = plan
        self.options = options
        self.server = server
        self.loop = loop
        self.sslContext = sslContext
        self.measuresLoad = measuresLoad
        done = Array(repeating: false, count: plan.steps.count)
        history = ReplayHistory(capacity: options.history)
    }

    /// Starts the replay; `completion` runs on the loop once it ended. Call on the loop.
    func start(completion: @escaping (LiveSession) -> Void) {
        self.completion = completion
        startNanos = NIODeadline.now().uptimeNanoseconds
        connections = plan.connections.indices.map { LiveConnection(index: $0, plan: plan.connections[$0], session: self) }
        for (i, step) in plan.steps.enumerated() {
            if case .expect(let c, let expected) = step.action { connections[c].addExpected(step: i, time: step.time, expected) }
        }
        advance()
    }

    // MARK: Time

    private var factor: Double {
        if case .paced(let f) = options.speed { return f }
        return 1
    }

    /// The live moment on the recording's clock (recorded times are comparable with it).
    private var now: Instant {
        let elapsed = Double(NIODeadline.now().uptimeNanoseconds &- startNanos) * factor
        return Instant(nanoseconds: plan.firstTime + Int64(elapsed))
    }

    // MARK: Driving

    private func advance() {
        guard !finished else { return }
        while cursor < plan.steps.count {
            let step = plan.steps[cursor]
            if case .expect = step.action {
                cursor += 1
                continue
            }
            while frontier < done.count, done[frontier] { frontier += 1 }
            if frontier < cursor {
                // Server events recorded before this client event have not all come yet.
                if waitingFor != cursor {
                    waitingFor = cursor
                    waitTimer?.cancel()
                    let waited = cursor
                    waitTimer = loop.assumeIsolated().scheduleTask(in: .nanoseconds(options.waitForServer.nanoseconds)) { [self] in
                        guard waitingFor == waited else { return }
                        for i in frontier..<waited where !done[i] { done[i] = true }   // still matched if they come later
                        advance()
                    }
                }
                return
            }
            waitTimer?.cancel()
            waitingFor = nil
            if case .paced(let f) = options.speed {
                let due = startNanos &+ UInt64(max(0, Double(step.time - plan.firstTime) / f))
                let nowNanos = NIODeadline.now().uptimeNanoseconds
                if due > nowNanos {
                    paceTimer?.cancel()
                    paceTimer = loop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(due - nowNanos))) { [self] in advance() }
                    return
                }
            }
            done[cursor] = true
            cursor += 1
            perform(step.action)
            guard !finished else { return }
        }
        settleIfDone()
    }

    private func perform(_ action: LivePlan.Action) {
        switch action {
        case .expect:
            break
        case .connect(let c):
            inputs += 1
            connect(connections[c])
        case .send(let c, let text):
            let conn = connections[c]
            guard conn.state == .open, let socket = conn.socket else { notSent += 1; return }
            inputs += 1
            noteClientValues(text)
            let live = clientText(text, id: nil)
            let summary = WireSummary.scan(live)
            if summary.kind == .request {
                conn.clientMethods[summary.id] = summary.method
                conn.pendingClientRequests[summary.id] = (summary.method, NIODeadline.now().uptimeNanoseconds)
            }
            history.add(now.nanoseconds, conn.plan.id, "in ", live)
            messagesSent += 1
            socket.send(live)
        case .answer(let c, let recordedID, let text):
            let conn = connections[c]
            guard conn.state == .open, let socket = conn.socket, let liveID = conn.liveIDForRecorded[recordedID] else {
                notSent += 1
                return
            }
            inputs += 1
            noteClientValues(text)
            let live = clientText(text, id: liveID)
            history.add(now.nanoseconds, conn.plan.id, "in ", live)
            messagesSent += 1
            socket.send(live)
        case .close(let c, let code, let reason, let network):
            let conn = connections[c]
            guard conn.state == .open || conn.state == .dialing else { return }
            inputs += 1
            history.add(now.nanoseconds, conn.plan.id, "in ", "close code=\(code.map(String.init) ?? "none") by \(network ? "network" : "client")")
            let socket = conn.socket
            conn.state = .closed
            conn.socket = nil
            if network || code == nil { socket?.abort() } else { socket?.close(code: code!, reason: reason) }
        }
    }

    private func connect(_ conn: LiveConnection) {
        conn.state = .dialing
        history.add(now.nanoseconds, conn.plan.id, "connect", conn.plan.target)
        var url = server
        url.target = Self.join(server.target, conn.plan.target)
        var dial = WebSocketDialer.Options()
        dial.sslContext = sslContext
        dial.headers = conn.plan.headers
            .filter { options.forwardedHeaders.contains($0.name.lowercased()) }
            .map { ($0.name, $0.value) }
        WebSocketDialer.dial(url, options: dial, eventLoop: loop) { [self] outcome in
            switch outcome {
            case .opened(let socket):
                guard conn.state == .dialing, !finished else { return socket.close(code: 1000, reason: "replay ended") }
                conn.state = .open
                conn.socket = socket
                socket.delegate = conn
                connectionsOpened += 1
                live(.accepted, on: conn)
            case .refused(let status, let reason):
                guard conn.state == .dialing else { return }
                conn.state = .closed
                live(.rejected(status: status, reason: reason), on: conn)
            case .failed(let reason):
                guard conn.state == .dialing else { return }
                conn.state = .closed
                live(.rejected(status: 0, reason: "no connection: \(reason)"), on: conn)
            }
            advance()
        }
    }

    /// The recorded target under the server URL's path (`ws://h:p/` keeps the recorded path).
    static func join(_ base: String, _ target: String) -> String {
        let basePath = base.split(separator: "?", maxSplits: 1).first.map(String.init) ?? "/"
        guard basePath != "/", !basePath.isEmpty else { return target }
        let trimmed = basePath.hasSuffix("/") ? String(basePath.dropLast()) : basePath
        return trimmed + (target.hasPrefix("/") ? target : "/" + target)
    }

    // MARK: Live server events

    func received(_ text: String, on conn: LiveConnection) {
        messagesReceived += 1
        history.add(now.nanoseconds, conn.plan.id, "out", text)
        let summary = WireSummary.scan(text)
        if summary.kind == .response, let pending = conn.pendingClientRequests.removeValue(forKey: summary.id), measuresLoad {
            recordLatency(method: pending.method, sentAt: pending.sentAt, text: text)
        }
        let method = summary.kind == .response ? conn.clientMethods[summary.id] ?? "" : summary.method
        if summary.kind != .invalid, options.rules.skips(method) { return }
        var liveRequest: RequestID?
        if summary.kind == .request {
            let ordinal = conn.liveRequestCount[summary.method, default: 0]
            conn.liveRequestCount[summary.method] = ordinal + 1
            if let slots = conn.recordedRequests[summary.method], ordinal < slots.count,
               let recorded = conn.slots[slots[ordinal]].summary {
                conn.liveIDForRecorded[recorded.id] = summary.id
                liveRequest = recorded.id
            }
        }
        live(.message(text), summary: summary, recordedRequestID: liveRequest, method: method, on: conn)
        advance()
    }

    func serverClosed(_ conn: LiveConnection, code: UInt16?, reason: String) {
        history.add(now.nanoseconds, conn.plan.id, "out", "closed code=\(code.map(String.init) ?? "none") by server")
        live(.closed(code: code, reason: reason), on: conn)
        advance()
    }

    /// Compares a live server event with the recording (see docs/replay.md, "Live replay", for
    /// what may come in another order than recorded).
    private func live(_ event: LivePlan.Expected, summary: WireSummary? = nil, recordedRequestID: RequestID? = nil,
                      method: String? = nil, on conn: LiveConnection) {
        guard !conn.diverged else { return }
        outputsCompared += 1
        let slot: Int?
        switch event {
        case .accepted, .rejected:
            slot = conn.firstUnmatched { if case .accepted = $0.expected { return true }; if case .rejected = $0.expected { return true }; return false }
        case .closed:
            slot = conn.firstUnmatched { if case .closed = $0.expected { return true }; return false }
        case .message:
            let s = summary!
            switch s.kind {
            case .response:
                slot = conn.firstUnmatched { $0.summary?.kind == .response && $0.summary?.id == s.id }
            case .request:
                slot = recordedRequestID.flatMap { id in conn.firstUnmatched { $0.summary?.kind == .request && $0.summary?.id == id } }
            case .notification:
                slot = conn.firstUnmatched { $0.summary?.kind == .notification && $0.summary?.method == s.method }
            case .invalid:
                slot = conn.firstUnmatched { $0.summary?.kind == .invalid }
            }
        }
        guard let slot else {
            // A cut-off recording vouches for nothing after its end.
            if plan.cutOff != nil, conn.head >= conn.slots.count { outputsCompared -= 1; return }
            return diverge(conn, .unexpected, slot: nil, actual: event, method: method, differences: [])
        }
        let differences = compare(conn.slots[slot], event, liveRequestID: summary?.kind == .request ? summary!.id : nil,
                                  recordedRequestID: recordedRequestID, method: method ?? "", on: conn)
        if differences.isEmpty {
            conn.markMatched(slot)
            done[conn.slots[slot].step] = true
            return
        }
        // The same kind of event later on this connection: the order changed.
        if case .message = event, let s = summary, s.kind == .notification,
           let later = conn.firstUnmatched(where: { other in
               other.step > conn.slots[slot].step && other.summary?.method == s.method
                   && compare(other, event, liveRequestID: nil, recordedRequestID: nil, method: method ?? "", on: conn, learning: false).isEmpty
           }) {
            return diverge(conn, .reordered, slot: slot, actual: event, method: method, differences: [],
                           matchedTime: Instant(nanoseconds: conn.slots[later].time))
        }
        diverge(conn, .mismatch, slot: slot, actual: event, method: method, differences: differences)
    }

    private func compare(_ slot: LiveConnection.Slot, _ event: LivePlan.Expected, liveRequestID: RequestID?,
                         recordedRequestID: RequestID?, method: String, on conn: LiveConnection,
                         learning: Bool = true) -> [ReplayDifference] {
        func diff(_ path: String, _ e: JSONValue, _ a: JSONValue) -> ReplayDifference? {
            e == a ? nil : ReplayDifference(path: JSONPath([.key(path)]), expected: e, actual: a)
        }
        switch (slot.expected, event) {
        case (.accepted, .accepted):
            return []
        case (.rejected(let es, let er), .rejected(let s, let r)):
            return [diff("status", JSONValue(es), JSONValue(s)), diff("reason", .string(er), .string(r))].compactMap { $0 }
        case (.closed(let ec, let er), .closed(let c, let r)):
            func code(_ c: UInt16?) -> JSONValue { c.map { JSONValue(Int($0)) } ?? .null }
            return [diff("code", code(ec), code(c)), diff("reason", .string(er), .string(r))].compactMap { $0 }
        case (.message(let expectedText), .message(let actualText)):
            if expectedText == actualText { return [] }
            guard let expected = try? JSONParser.parse(expectedText), var actual = try? JSONParser.parse(actualText) else {
                return [ReplayDifference(path: JSONPath(), expected: .string(expectedText), actual: .string(actualText))]
            }
            if let recordedRequestID { actual["id"] = .int(Int64(recordedRequestID)) }
            let paths: (capture: [JSONPathPattern], ignore: [JSONPathPattern])
            if let known = diffPathCache[method] {
                paths = known
            } else {
                paths = MessageDiff.paths(rules: options.rules, method: method)
                diffPathCache[method] = paths
            }
            var d = MessageDiff(capturePaths: paths.capture, ignorePaths: paths.ignore, substitutions: substitutions,
                                clientValues: clientValues)
            d.reportsConflictingCaptures = true
            d.compare(expected, actual, at: JSONPath())
            // A server-generated value seen here before the message that introduced it (which
            // raced it from another connection): its first sighting teaches the substitution.
            var early: [(String, String)] = []
            let differences = d.differences.filter { difference in
                guard case .string(let e)? = difference.expected, case .string(let a)? = difference.actual,
                      plan.serverGenerated.contains(e), d.substitutions.live(for: e) == e else { return true }
                early.append((e, a))
                return false
            }
            if learning, differences.isEmpty {
                substitutions = d.substitutions
                for (e, a) in early { substitutions.learn(recorded: e, live: a) }
            }
            return differences
        default:
            return [ReplayDifference(path: JSONPath([.key("event")]), expected: .string(Self.name(slot.expected)), actual: .string(Self.name(event)))]
        }
    }

    private static func name(_ e: LivePlan.Expected) -> String {
        switch e {
        case .accepted: return "accepted"
        case .rejected: return "rejected"
        case .closed: return "closed"
        case .message(let text):
            switch WireSummary.scan(text).kind {
            case .request: return "request"
            case .response: return "response"
            case .notification: return "notification"
            case .invalid: return "invalid message"
            }
        }
    }

    private static func text(_ e: LivePlan.Expected) -> String {
        switch e {
        case .accepted: return "accepted"
        case .rejected(let s, let r): return "rejected \(s) \(r)"
        case .message(let t): return t
        case .closed(let c, let r): return "closed code=\(c.map(String.init) ?? "none") reason=\"\(r)\" by server"
        }
    }

    private func diverge(_ conn: LiveConnection, _ kind: ReplayDivergence.Kind, slot: Int?, actual: LivePlan.Expected?,
                         method: String?, differences: [ReplayDifference], matchedTime: Instant? = nil) {
        conn.diverged = true
        // Its server events no longer hold the other clients back.
        for s in conn.slots where !s.matched { done[s.step] = true }
        let expected = slot.map { conn.slots[$0] }
        divergences.append(ReplayDivergence(
            kind: kind, time: kind == .missing ? Instant(nanoseconds: expected?.time ?? 0) : now,
            recordedTime: expected.map { Instant(nanoseconds: $0.time) }, matchedTime: matchedTime,
            connection: conn.plan.id, peer: conn.plan.peer, room: conn.plan.room,
            method: method.flatMap { $0.isEmpty ? nil : $0 } ?? expected.flatMap { methodOf($0, on: conn) },
            expected: expected.map { Self.text($0.expected) }, actual: actual.map(Self.text),
            differences: differences, lastEvents: history.lines))
        if divergences.count >= options.stopAfterDivergences {
            stoppedEarly = true
            finish()
        }
    }

    private func methodOf(_ slot: LiveConnection.Slot, on conn: LiveConnection) -> String? {
        guard let s = slot.summary else { return nil }
        switch s.kind {
        case .request, .notification: return s.method
        case .response: return conn.clientMethods[s.id]
        case .invalid: return nil
        }
    }

    // MARK: Client messages

    private func noteClientValues(_ text: String) {
        guard !options.rules.capture.isEmpty else { return }
        ClientMessages.noteStrings(of: text, into: &clientValues)
    }

    private func clientText(_ text: String, id: RequestID?) -> String {
        ClientMessages.live(text, id: id, substitutions: substitutions)
    }

    // MARK: Load figures

    private func recordLatency(method: String, sentAt: UInt64, text: String) {
        let micros = max(1, (NIODeadline.now().uptimeNanoseconds &- sentAt) / 1000)
        latencies[method, default: Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000,
                                                     numberOfSignificantValueDigits: .three)].record(min(micros, 120_000_000))
        if let message = try? Message.decode(text), case .errorResponse(_, let code, _) = message {
            errors["\(method) \(code)", default: 0] += 1
        }
    }

    // MARK: The end

    /// Every client step is done: wait until the server events still expected came, or the
    /// settle time passed without any.
    private func settleIfDone() {
        guard cursor >= plan.steps.count, !finished else { return }
        let outstanding = connections.contains { !$0.diverged && $0.head < $0.slots.count }
        guard outstanding else { return finish() }
        settleTimer?.cancel()
        settleTimer = loop.assumeIsolated().scheduleTask(in: .nanoseconds(options.settle.nanoseconds)) { [self] in finish() }
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        waitTimer?.cancel()
        paceTimer?.cancel()
        settleTimer?.cancel()
        if !stoppedEarly {
            for conn in connections where !conn.diverged {
                guard let first = conn.firstUnmatchedSlot else { continue }
                let index = conn.slots.firstIndex { $0.step == first.step }!
                diverge(conn, .missing, slot: index, actual: nil, method: nil, differences: [])
            }
        }
        divergences.sort { ($0.time, $0.connection) < ($1.time, $1.connection) }
        for conn in connections {
            conn.state = .closed
            let socket = conn.socket
            conn.socket = nil
            socket?.close(code: 1000, reason: "replay ended")
        }
        wallSeconds = Double(NIODeadline.now().uptimeNanoseconds &- startNanos) / 1e9
        let completion = self.completion
        self.completion = nil
        completion?(self)
    }

    var substitutionsLearned: Int { substitutions.count }
}
