import Protoo

/// A simulated browser running protoo-client 4.x: connects through its host (the simulation's
/// in-memory network, or a real WebSocket under `protoo load --scenario`), reconnects like protoo-client (retry: 10 retries, factor 2, 1 s…8 s, no jitter), never after
/// close code 4000, and starts a fresh ``Peer`` (client timeouts: 22.5 s + 0.15 s per pending) on
/// every connection. What it says is up to its ``ClientBehavior``.
public final class SimulatedClient {
    /// Where the client is: not started, connecting (or waiting to retry), connected, done.
    public enum State: Equatable { case idle, connecting, open, closed }

    /// Reconnection rules, as in protoo-client's `retry` options.
    public struct RetryPolicy: Sendable {
        /// Failed attempts in a row before the client gives up (default 10).
        public var retries = 10
        /// Each wait is this times the previous one (default 2).
        public var factor = 2.0
        /// The first wait (default 1 s).
        public var minTimeout: Duration = .seconds(1)
        /// The longest wait (default 8 s).
        public var maxTimeout: Duration = .seconds(8)
        /// protoo-client's defaults.
        public init() {}

        /// The wait before retry number `n` (1-based).
        public func delay(retry n: Int) -> Duration {
            let ms = Double(minTimeout.nanoseconds) / 1e6 * pow2(factor, n - 1)
            return .milliseconds(Int64(min(ms, Double(maxTimeout.nanoseconds) / 1e6)))
        }

        private func pow2(_ f: Double, _ n: Int) -> Double { (0..<max(0, n)).reduce(1.0) { r, _ in r * f } }
    }

    /// The client's stable name: its group and place in it (its draws are keyed by it).
    public let key: ClientKey
    /// The client's peer id (8 letters and digits drawn from the seed and ``key``).
    public let peerId: String
    /// The client's group (`room-N`).
    public let roomId: String
    /// The path and query it connects to (``SimulationScenario/target`` of its group and id).
    public let target: String
    /// `unowned`: the host (a simulation, a load run) keeps every client for its whole life.
    unowned let host: any ClientHost
    let behavior: any ClientBehavior
    /// Where the client is now.
    public private(set) var state: State = .idle
    /// The open connection's client-side peer (`nil` between connections).
    public private(set) var peer: Peer?
    /// The simulated network's link of the current attempt (a simulation's host sets it).
    var link: NetworkLink?
    /// What a real-socket host keeps for the current connection.
    package var attachment: AnyObject?
    /// Connections opened so far.
    public private(set) var opens = 0
    /// Times the client reconnected after losing its connection.
    public private(set) var reconnects = 0
    /// Connection attempts that failed (refused, or lost before they opened).
    public private(set) var failures = 0
    /// Set when the client decided to leave (no reconnect after that).
    public private(set) var leaving = false
    /// Set when the client gave up reconnecting (its retries ran out, as protoo-client's `close`).
    public private(set) var gaveUp = false
    private var retry = 0
    private var retryTimer: TimerHandle?
    private var waitingForRetry = false
    /// Per-client scratch state for the behavior or script, kept across reconnects.
    public var memory: [String: Any] = [:]
    /// The client's own random stream (seeded by the run's seed and ``key``): draw a behavior's
    /// choices from it, not from ``context``'s (shared by every client, so removing one client
    /// would shift every other's draws).
    public var random: SeededRandom
    /// Requests and notifications sent so far through this object or a ``ScenarioClient``.
    public private(set) var messagesSent = 0
    /// After this many messages the client sends no more (``SimulationConfiguration/stepLimits``).
    public internal(set) var stepLimit: Int?
    /// Connection attempts so far: each link's latency draws are keyed by its number.
    private var attempts = 0

    init(key: ClientKey, peerId: String, roomId: String, target: String, seed: UInt64, host: any ClientHost, behavior: any ClientBehavior) {
        self.key = key
        self.peerId = peerId
        self.roomId = roomId
        self.target = target
        self.host = host
        self.behavior = behavior
        self.random = RandomStream.client.random(seed, key.room, key.slot)
    }

    /// Counts one message to send; `false` once ``stepLimit`` is reached (the message is not sent).
    func takeStep() -> Bool {
        if let stepLimit, messagesSent >= stepLimit { return false }
        messagesSent += 1
        return true
    }

    /// The clients' engine context (their randomness, timers and executor).
    public var context: EngineContext { host.clientContext }
    /// The clients' scheduler: the simulation's virtual time, or an event loop's real time under
    /// `protoo load --scenario`.
    public var scheduler: any Scheduler { host.clientContext.scheduler }

    /// Starts the first connection attempt now.
    public func start() {
        guard state == .idle else { return }
        retry = 0
        attempt()
    }

    private func attempt() {
        waitingForRetry = false
        guard !leaving else { return }
        state = .connecting
        attempts += 1
        host.connect(self, attempt: attempts)
    }

    /// The host's answer to an attempt: the connection is open on `transport`.
    package func connectionOpened(_ transport: any Transport) {
        guard !leaving else {
            // The client left while this attempt was on the wire: close it, and that is the end
            // (no peer was made, so no peer close will finish the client later).
            transport.close(code: CloseCode.normal, reason: "client left")
            host.connectionEnded(self)
            return finish()
        }
        state = .open
        opens += 1
        retry = 0
        let peer = Peer(id: peerId, transport: transport, context: context, configuration: .client)
        self.peer = peer
        // Clients live as long as the simulation; the handler belongs to the peer.
        peer.onClose { [unowned self, unowned peer] cause in
            self.peerClosed(peer, cause)
        }
        host.clientOpened(self, peer: peer)
        behavior.clientDidOpen(self, peer: peer)
    }

    /// The host's answer to an attempt: it failed (`status`: the HTTP status of a refusal, 0 for
    /// no connection).
    package func connectionFailed(status: Int) {
        failures += 1
        host.recordEvent("client \(peerId) failed(\(retry + 1)) status \(status)")
        scheduleRetryOrClose()
    }

    private func scheduleRetryOrClose() {
        guard !leaving else { return finish() }
        retry += 1
        guard retry <= host.retryPolicy.retries else {
            // protoo-client gives up: `close`.
            gaveUp = true
            return finish()
        }
        state = .connecting
        waitingForRetry = true
        retryTimer = scheduler.schedule(after: host.retryPolicy.delay(retry: retry)) { [unowned self] in
            self.attempt()
        }
    }

    private func peerClosed(_ peer: Peer, _ cause: Peer.CloseCause) {
        guard self.peer === peer else { return }
        self.peer = nil
        host.connectionEnded(self)
        behavior.clientDidClose(self, cause: cause)
        if leaving { return finish() }
        if case .transport(let event) = cause, event.code == CloseCode.protoo {
            return finish()
        }
        // `disconnected`: start over with a fresh retry sequence, first attempt right away.
        reconnects += 1
        host.recordReconnect()
        retry = 0
        attempt()
    }

    private func finish() {
        state = .closed
        retryTimer?.cancel()
        host.clientFinished(self)
    }

    /// What a failure report says about this client: its peer id, state and what it waits for.
    var statusDescription: String {
        var parts = ["\(peerId) \(state)", "\(opens) opens", "\(reconnects) reconnects", "retry \(retry)"]
        if leaving { parts.append("leaving") }
        if waitingForRetry { parts.append("waiting for a retry") }
        if let peer { parts.append(peer.isClosed ? "peer closed" : "peer open") }
        if let link { parts.append("link #\(link.id)") }
        return parts.joined(separator: ", ")
    }

    /// Leaves: closes the connection (close frame 1000) and stops reconnecting.
    public func leave() {
        guard !leaving else { return }
        leaving = true
        retryTimer?.cancel()
        behavior.clientWillLeave(self)
        if let peer, !peer.isClosed {
            peer.close(.code(CloseCode.normal, reason: "client left"))
        } else if state == .idle || waitingForRetry {
            finish()
        }
        // Otherwise an attempt is in flight: `opened` closes it, or the failure path finishes.
    }

    /// Sends a request and records its latency and outcome with the host.
    public func request(_ method: String, _ data: JSONValue = .emptyObject,
                        then: @escaping (Result<JSONValue, ProtooError>) -> Void = { _ in }) {
        requestLazily(method, data, then: { then($0.map(\.value)) })
    }

    /// Like ``request(_:_:then:)``, with the response data parsed only if `then` reads it.
    public func requestLazily(_ method: String, _ data: JSONValue = .emptyObject,
                              then: @escaping (Result<ResponseData, ProtooError>) -> Void) {
        tracked(method, then) { peer, completion in peer.requestLazily(method, data, completion: completion) }
    }

    /// Like ``requestLazily(_:_:then:)-(String,JSONValue,_)`` with data already written as JSON text.
    public func requestLazily(_ method: String, _ data: JSONText,
                              then: @escaping (Result<ResponseData, ProtooError>) -> Void) {
        tracked(method, then) { peer, completion in peer.requestLazily(method, data, completion: completion) }
    }

    /// Sends with `send` on the open peer, recording the request's latency and outcome.
    private func tracked(_ method: String, _ then: @escaping (Result<ResponseData, ProtooError>) -> Void,
                         _ send: (Peer, @escaping (Result<ResponseData, ProtooError>) -> Void) -> Void) {
        guard let peer, !peer.isClosed, takeStep() else { return }
        let scheduler = self.scheduler
        let started = scheduler.now
        let token = host.requestStarted(method)
        send(peer, { [unowned self] result in
            self.host.requestFinished(token, latency: scheduler.now - started, failure: result.failure)
            then(result)
        })
    }

    /// Sends a notification on the open peer (nothing once it closed, or past the step limit).
    func notify(on peer: Peer, _ method: String, _ data: JSONValue) {
        guard self.peer === peer, takeStep() else { return }
        host.notificationSent(method)
        peer.notify(method, data)
    }

    /// A request whose answer only counts for the statistics (nothing reads its data).
    public func send(_ method: String, _ data: JSONValue = .emptyObject) {
        requestLazily(method, data, then: { _ in })
    }
}

extension Result {
    /// The error, if this is a failure.
    var failure: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}
