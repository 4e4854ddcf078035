import Logging
import NIOCore
import NIOSSL
import Protoo
import ProtooClient
import ProtooReplay
import ProtooVerdict
import ProtooWebSocketCore

/// One live replay of a plan against a server, on one event loop: connects each recorded client
/// with its recorded URL, sends what it sent once the server events recorded before have arrived
/// and the server has read what the other clients sent before (the order barrier below), and,
/// when paced, at its recorded offset; answers the server's requests as recorded, closes as the
/// client did, and compares what the server sends with the recording
/// (`LiveSession+Comparison.swift`).
///
/// **The order barrier.** The recording is the server's view: the order in which it read the
/// clients' messages and saw their closes, across connections. Before a client event goes out on
/// one connection, the replay makes sure the server has taken in every earlier client event of
/// the other connections:
/// - a message sent on another connection: the server has read it once a response to it came,
///   or a WebSocket ping sent after it is answered (the server reads a connection in order);
/// - a close by a client: its close handshake and TCP close have completed (the replay waits for
///   the server to close TCP; a recorded drop is a FIN without a close frame, answered by the
///   server's FIN), then two ping round trips on an open connection, so the server's event loop
///   has gone past the turn that handled the close (20 ms when no connection is open).
/// A barrier not cleared within ``LiveReplayOptions/waitForServer`` stops holding events back.
final class LiveSession {
    let plan: LivePlan
    let options: LiveReplayOptions
    let server: WebSocketURL
    let loop: any EventLoop
    let sslContext: NIOSSLContext?
    let progress: LiveProgress?

    var connections: [LiveConnection] = []
    /// Steps done: inputs performed, server events matched or given up on.
    var done: [Bool]
    /// The first step not done.
    private var frontier = 0
    /// The next client step to perform.
    private var cursor = 0
    var startNanos: UInt64 = 0
    private var waitTimer: Scheduled<Void>?
    private var waitingFor: Int?
    private var paceTimer: Scheduled<Void>?
    private var settleTimer: Scheduled<Void>?
    private var barrierTimer: Scheduled<Void>?
    /// Client closes the barrier still waits for: until their TCP close completed, then two ping
    /// round trips ("turns") of the server; they hold back events recorded after `effectiveAt`.
    private struct PendingClose {
        var effectiveAt: Int64
        var completed = false
        var turnsOwed = 2
    }
    private var pendingCloses: [Int: PendingClose] = [:]
    private var nextCloseKey = 0
    private var turnProbeInFlight = false
    private(set) var finished = false
    /// Stopped by ``cut()`` (a load's `--duration` ended): compared only up to there.
    private(set) var wasCut = false
    private var completion: ((LiveSession) -> Void)?

    // Comparison (LiveSession+Comparison.swift).
    var substitutions = Substitutions()
    var clientValues = Set<String>()
    var history: ReplayHistory
    var diffPathCache: [String: (capture: [JSONPathPattern], ignore: [JSONPathPattern])] = [:]
    var divergences: [ReplayDivergence] = []
    var stoppedEarly = false
    /// Live server events not compared, by why.
    var notCompared: [String: Int] = [:]

    // Counts.
    var inputs = 0
    var outputsCompared = 0
    var messagesSent = 0
    var messagesReceived = 0
    var connectionsOpened = 0
    /// Dials that got no connection at all (no TCP, or closed before the upgrade answer).
    var dialFailures = 0
    /// Dials the server answered with a refusal (it is there).
    var refusedDials = 0
    /// Set when the first dial got no answer at all: the replay stopped there.
    var unreachable: String?
    var notSent = 0
    var wallSeconds = 0.0
    /// Latency, requests and failures by method, and divergences by method.
    var measurements = Measurements()
    /// Failures the recording does not have, by "method code" (an error response where the
    /// recording has a success or another code) or "method unanswered" (no response where the
    /// recording has one).
    var errors: [String: Int] = [:]
    /// Error responses the recording has too (same code), by "method code".
    var recordedErrors: [String: Int] = [:]

    init(plan: LivePlan, options: LiveReplayOptions, server: WebSocketURL, loop: any EventLoop,
         sslContext: NIOSSLContext?, progress: LiveProgress? = nil) {
        self.plan = plan
        self.options = options
        self.server = server
        self.loop = loop
        self.sslContext = sslContext
        self.progress = progress
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

    /// Stops the replay where it got (a load's `--duration` is over, or the run was interrupted):
    /// what was compared stands, nothing still expected is reported missing, requests in flight
    /// are not counted. Call on the loop.
    func cut() {
        guard !finished else { return }
        wasCut = true
        finish()
    }

    // MARK: Time

    private var factor: Double {
        if case .paced(let f) = options.speed { return f }
        return 1
    }

    /// The live moment on the recording's clock (recorded times are comparable with it).
    var now: Instant {
        let elapsed = Double(NIODeadline.now().uptimeNanoseconds &- startNanos) * factor
        return Instant(nanoseconds: plan.firstTime &+ Int64(min(elapsed, 9e18)))
    }

    // MARK: Driving

    func advance() {
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
                let due = startNanos &+ UInt64(min(9e18, max(0, Double(step.time - plan.firstTime) / f)))
                let nowNanos = NIODeadline.now().uptimeNanoseconds
                if due > nowNanos {
                    paceTimer?.cancel()
                    paceTimer = loop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(due - nowNanos))) { [self] in advance() }
                    return
                }
            }
            guard orderBarrierCleared(for: step.action.connection, at: step.time) else { return }
            done[cursor] = true
            cursor += 1
            perform(step)
            guard !finished else { return }
        }
        settleIfDone()
    }

    // MARK: The order barrier

    /// `true` when the server has taken in every client event of the connections other than `c`
    /// that the recording has it take in before `time`; otherwise starts what clears it (pings,
    /// waits) and returns `false`.
    private func orderBarrierCleared(for c: Int, at time: Int64) -> Bool {
        var clear = true
        let holding = pendingCloses.filter { $0.value.effectiveAt <= time }
        if holding.contains(where: { !$0.value.completed }) {
            clear = false   // each close's completion calls advance()
        } else if !holding.isEmpty {
            clear = false
            if !turnProbeInFlight { probeServerTurn(preferring: c) }
        } else {
            for conn in connections where conn.index != c && conn.unconfirmed {
                clear = false
                guard !conn.pingInFlight, let socket = conn.socket else { continue }
                conn.pingInFlight = true
                let upTo = conn.sent
                socket.ping { [self] in
                    conn.pingInFlight = false
                    conn.confirmed = max(conn.confirmed, upTo)
                    advance()
                }
            }
        }
        if clear {
            barrierTimer?.cancel()
            barrierTimer = nil
        } else if barrierTimer == nil {
            barrierTimer = loop.assumeIsolated().scheduleTask(in: .nanoseconds(options.waitForServer.nanoseconds)) { [self] in
                // The server did not let us know in time: stop holding events back.
                barrierTimer = nil
                history.add(now.nanoseconds, 0, "---", "order barrier gave up after \(options.waitForServer)")
                for conn in connections { conn.confirmed = conn.sent }
                pendingCloses = [:]
                advance()
            }
        }
        return clear
    }

    /// One ping round trip on an open connection (`preferring` that one), or a short pause when
    /// none is open; then every completed close owes one server turn fewer.
    private func probeServerTurn(preferring c: Int) {
        turnProbeInFlight = true
        let turned = { [self] (all: Bool) in
            turnProbeInFlight = false
            for key in Array(pendingCloses.keys) {
                guard var close = pendingCloses[key], close.completed else { continue }
                close.turnsOwed = all ? 0 : close.turnsOwed - 1
                pendingCloses[key] = close.turnsOwed <= 0 ? nil : close
            }
            advance()
        }
        let open = connections[c].state == .open ? connections[c] : connections.first { $0.state == .open && $0.socket != nil }
        if let socket = open?.socket {
            socket.ping { turned(false) }
        } else {
            loop.assumeIsolated().scheduleTask(in: .milliseconds(20)) { turned(true) }
        }
    }

    // MARK: Client events

    private func perform(_ step: LivePlan.Step) {
        switch step.action {
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
            conn.sent += 1
            if summary.kind == .request {
                conn.clientMethods[summary.id] = summary.method
                conn.pendingClientRequests[summary.id] = (summary.method, NIODeadline.now().uptimeNanoseconds, conn.sent)
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
            conn.sent += 1
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
            unanswered(on: conn)
            guard let socket else { return }   // still dialing: the dial's completion closes it
            let closed = socket.closeFuture
            if let code, !network { socket.close(code: code, reason: reason) } else { socket.disconnect() }
            guard let closed else { return }
            let key = nextCloseKey
            nextCloseKey += 1
            pendingCloses[key] = PendingClose(effectiveAt: step.completedAt ?? step.time)
            closed.assumeIsolated().whenComplete { [self] _ in
                pendingCloses[key]?.completed = true
                advance()
            }
        }
    }

    private func connect(_ conn: LiveConnection) {
        conn.state = .dialing
        history.add(now.nanoseconds, conn.plan.id, "connect", conn.plan.target)
        var url = server
        url.target = LiveTarget.join(server.target, conn.plan.target)
        var dial = WebSocketDialer.Options()
        dial.sslContext = sslContext
        dial.connectTimeout = options.connectTimeout
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
                progress?.connectionsOpened.wrappingAdd(1, ordering: .relaxed)
                live(.accepted, on: conn)
            case .refused(let status, let reason):
                guard conn.state == .dialing else { return }
                conn.state = .closed
                refusedDials += 1
                live(.rejected(status: status, reason: reason), on: conn)
            case .failed(let reason):
                guard conn.state == .dialing else { return }
                conn.state = .closed
                dialFailures += 1
                if connectionsOpened == 0, refusedDials == 0 {
                    // Nothing ever answered (a server that accepts TCP and never answers the
                    // upgrade): the target is not there to replay against; stop now.
                    history.add(now.nanoseconds, conn.plan.id, "---", "no connection: \(reason)")
                    unreachable = reason
                    return finish()
                }
                live(.rejected(status: 0, reason: "no connection: \(reason)"), on: conn)
            }
            advance()
        }
    }

    // MARK: Live server events

    func received(_ text: String, on conn: LiveConnection) {
        messagesReceived += 1
        history.add(now.nanoseconds, conn.plan.id, "out", text)
        let summary = WireSummary.scan(text)
        if summary.kind == .response, let pending = conn.pendingClientRequests.removeValue(forKey: summary.id) {
            conn.confirmed = max(conn.confirmed, pending.sequence)
            answered(pending.method, id: summary.id, sentAt: pending.sentAt, text: text, on: conn)
        }
        let method = summary.kind == .response ? conn.clientMethods[summary.id] ?? "" : summary.method
        if summary.kind != .invalid, options.rules.skips(method) { return advance() }
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
        unanswered(on: conn)
        if code == nil, conn.plan.recordedNetworkClose, !conn.expectsServerClose {
            // A recording made before server drops were told apart: its `network` close may be the
            // server's drop. The live server dropped the connection at that point: the same close.
            history.add(now.nanoseconds, conn.plan.id, "---", "dropped by the server where the recording has the connection lost")
        } else {
            live(.closed(code: code, reason: reason), on: conn)
        }
        advance()
    }

    // MARK: Requests

    private func answered(_ method: String, id: RequestID, sentAt: UInt64, text: String, on conn: LiveConnection) {
        measurements.recordLatency(method: method, nanoseconds: NIODeadline.now().uptimeNanoseconds &- sentAt)
        measurements.requests[method, default: 0] += 1
        progress?.requestsAnswered.wrappingAdd(1, ordering: .relaxed)
        // A success response as protoo writes it has `"ok":true`; anything else is decoded to tell.
        guard !text.contains("\"ok\":true"), let message = try? Message.decode(text), case .errorResponse(_, let code, _) = message else { return }
        let key = "\(method) \(code)"
        if case .some(.some(let recorded)) = conn.recordedResponseCode[id], recorded == code {
            recordedErrors[key, default: 0] += 1
        } else {
            errors[key, default: 0] += 1
            measurements.errors[method, default: 0] += 1
        }
    }

    /// The connection ended: its requests in flight will never be answered. Those the recording
    /// has a response for are failures.
    private func unanswered(on conn: LiveConnection) {
        for (id, pending) in conn.pendingClientRequests.sorted(by: { $0.key < $1.key }) {
            let method = pending.method
            measurements.requests[method, default: 0] += 1
            guard conn.recordedResponseCode[id] != nil else { continue }
            errors["\(method) unanswered", default: 0] += 1
            measurements.errors[method, default: 0] += 1
        }
        conn.pendingClientRequests = [:]
    }

    // MARK: The end

    /// Every client step is done: wait until the server events still expected came, or the
    /// settle time passed without any.
    func settleIfDone() {
        guard cursor >= plan.steps.count, !finished else { return }
        let outstanding = connections.contains { $0.head < $0.slots.count && (!$0.diverged || $0.expectsResponse) }
        guard outstanding else { return finish() }
        settleTimer?.cancel()
        settleTimer = loop.assumeIsolated().scheduleTask(in: .nanoseconds(options.settle.nanoseconds)) { [self] in finish() }
    }

    func finish() {
        guard !finished else { return }
        finished = true
        waitTimer?.cancel()
        paceTimer?.cancel()
        settleTimer?.cancel()
        barrierTimer?.cancel()
        if !stoppedEarly, !wasCut, unreachable == nil { reportMissing() }
        divergences.sort { ($0.time, $0.connection) < ($1.time, $1.connection) }
        for conn in connections {
            if !wasCut { unanswered(on: conn) }
            conn.state = .closed
            let socket = conn.socket
            conn.socket = nil
            socket?.close(code: 1000, reason: "replay ended")
        }
        wallSeconds = Double(NIODeadline.now().uptimeNanoseconds &- startNanos) / 1e9
        progress?.sessionsFinished.wrappingAdd(1, ordering: .relaxed)
        let completion = self.completion
        self.completion = nil
        completion?(self)
    }

    var substitutionsLearned: Int { substitutions.count }

    // MARK: Client messages

    private func noteClientValues(_ text: String) {
        guard !options.rules.capture.isEmpty else { return }
        ClientMessages.noteStrings(of: text, into: &clientValues)
    }

    private func clientText(_ text: String, id: RequestID?) -> String {
        ClientMessages.live(text, id: id, substitutions: substitutions)
    }
}

extension LivePlan.Action {
    /// The connection (its index in the plan) the step belongs to.
    var connection: Int {
        switch self {
        case .connect(let c), .send(let c, _), .answer(let c, _, _), .close(let c, _, _, _), .expect(let c, _): return c
        }
    }
}

extension LiveConnection {
    /// A recorded response not matched yet (still compared after a divergence).
    var expectsResponse: Bool { firstUnmatched { $0.summary?.kind == .response } != nil }
}
