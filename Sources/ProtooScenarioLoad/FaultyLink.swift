import Protoo

/// One scenario client's real WebSocket with the run's faults on it, between the client's ``Peer``
/// and the socket: latency and jitter on every message each way, clogs (both directions held,
/// then delivered in order), drops without a close frame, and server-style closes (the client
/// sees 4000 "closed by protoo-server", the server a 1001). Messages queue in ``FaultPipe``s, as
/// in the proxy's relays. Records the last messages each way for failure reports. On the
/// client's event loop only.
final class FaultyLink: Transport, TransportDelegate {
    /// The client's peer (`weak`: the client holds its peer, the peer holds this link).
    weak var delegate: (any TransportDelegate)?
    private(set) var isClosed = false
    /// The real connection (a `WebSocketConnection`; any transport in tests).
    private let socket: any Transport
    private let scheduler: any Scheduler
    private let latency: Duration
    private let jitter: Duration
    private var random: SeededRandom
    private var outbound = FaultPipe()
    private var inbound = FaultPipe()
    /// The socket's own close, delivered to the peer once what arrived before it is delivered.
    private var pendingClose: TransportCloseEvent?
    /// The client's recent messages (shared across its reconnects).
    let history: MessageHistory
    /// Messages and bytes each way, for the report.
    private(set) var sent = 0, received = 0

    init(socket: any Transport, scheduler: any Scheduler, latency: Duration, jitter: Duration,
         random: SeededRandom, history: MessageHistory) {
        self.socket = socket
        self.scheduler = scheduler
        self.latency = latency
        self.jitter = jitter
        self.random = random
        self.history = history
        socket.delegate = self
    }

    private var delays: Bool { latency > .zero || jitter > .zero }

    private func nextDelay() -> Duration {
        guard jitter > .zero else { return latency }
        return latency + .nanoseconds(Int64(Double(jitter.nanoseconds) * random.nextUnit()))
    }

    // MARK: Transport (the peer's side)

    func send(_ text: String) {
        guard !isClosed else { return }
        sent += 1
        history.record(.sent, text, at: scheduler.now)
        let now = scheduler.now
        if !delays, outbound.isClear(at: now) { return socket.send(text) }
        outbound.append(.message(text), now: now, delay: nextDelay())
        pump(outbound: true)
    }

    func send(utf8: UnsafeRawBufferPointer) {
        guard !isClosed else { return }
        let now = scheduler.now
        if !delays, outbound.isClear(at: now) {
            sent += 1
            history.record(.sent, utf8, at: now)
            return socket.send(utf8: utf8)
        }
        send(String(decoding: utf8, as: UTF8.self))
    }

    /// The peer closes (the client leaves): the close frame goes behind what was sent before it.
    func close(code: UInt16, reason: String) {
        guard !isClosed else { return }
        isClosed = true
        inbound.clear()
        let now = scheduler.now
        if outbound.isClear(at: now) && !delays { return finishSocket { $0.close(code: code, reason: reason) } }
        outbound.append(.close(code: code, reason: reason), now: now, delay: latency)
        pump(outbound: true)
    }

    func abort() {
        guard !isClosed else { return }
        isClosed = true
        inbound.clear()
        outbound.clear()
        finishSocket { $0.abort() }
    }

    // MARK: Faults

    /// Drops the connection without a close frame: the server sees TCP go, the client a lost
    /// connection (it reconnects, as protoo-client does).
    func drop() {
        guard !isClosed else { return }
        abort()
        deliverClose(TransportCloseEvent(code: nil, reason: "connection lost (injected drop)", initiator: .network))
    }

    /// Closes as a server would: 4000 "closed by protoo-server" to the client (which does not
    /// reconnect), 1001 to the server.
    func serverClose() {
        guard !isClosed else { return }
        isClosed = true
        inbound.clear()
        outbound.clear()
        finishSocket { $0.close(code: CloseCode.goingAway, reason: "protoo load: injected server close") }
        deliverClose(TransportCloseEvent(code: CloseCode.protoo, reason: "closed by protoo-server", initiator: .remote))
    }

    /// Holds both directions until `until`, then delivers in order.
    func clog(until: Instant) {
        guard !isClosed else { return }
        outbound.heldUntil = max(outbound.heldUntil, until)
        inbound.heldUntil = max(inbound.heldUntil, until)
        pump(outbound: true)
        pump(outbound: false)
    }

    // MARK: TransportDelegate (the socket's side)

    func transport(_ transport: any Transport, didReceive text: String) {
        guard !isClosed else { return }
        received += 1
        history.record(.received, text, at: scheduler.now)
        let now = scheduler.now
        if !delays, inbound.isClear(at: now) { return delegate?.transport(self, didReceive: text) ?? () }
        inbound.append(.message(text), now: now, delay: nextDelay())
        pump(outbound: false)
    }

    func transport(_ transport: any Transport, didReceiveUTF8 bytes: UnsafeRawBufferPointer) {
        guard !isClosed else { return }
        let now = scheduler.now
        if !delays, inbound.isClear(at: now) {
            received += 1
            history.record(.received, bytes, at: now)
            if let delegate { delegate.transport(self, didReceiveUTF8: bytes) }
            return
        }
        self.transport(transport, didReceive: String(decoding: bytes, as: UTF8.self))
    }

    func transport(_ transport: any Transport, didClose event: TransportCloseEvent) {
        socket.delegate = nil
        guard !isClosed else { return }
        isClosed = true
        outbound.clear()
        let now = scheduler.now
        if !delays, inbound.isClear(at: now) { return report(event) }
        pendingClose = event
        inbound.append(.abort, now: now, delay: latency)
        pump(outbound: false)
    }

    // MARK: Delivery

    private func pump(outbound up: Bool) {
        let now = scheduler.now
        while let item = up ? outbound.popDue(at: now) : inbound.popDue(at: now) {
            deliver(item, outbound: up)
        }
        let next = up ? outbound.nextDelivery : inbound.nextDelivery
        let armed = up ? outbound.timerAt : inbound.timerAt
        guard let next, armed != next else { return }
        let timer = scheduler.schedule(at: next) { [self] in
            if up { outbound.timer = nil; outbound.timerAt = nil } else { inbound.timer = nil; inbound.timerAt = nil }
            pump(outbound: up)
        }
        if up {
            outbound.timer?.cancel(); outbound.timer = timer; outbound.timerAt = next
        } else {
            inbound.timer?.cancel(); inbound.timer = timer; inbound.timerAt = next
        }
    }

    private func deliver(_ item: FaultPipe.Item, outbound up: Bool) {
        if up {
            switch item {
            case .message(let text): socket.send(text)
            case .close(let code, let reason): finishSocket { $0.close(code: code, reason: reason) }
            case .abort: finishSocket { $0.abort() }
            }
            return
        }
        switch item {
        case .message(let text): delegate?.transport(self, didReceive: text)
        case .close, .abort:
            if let pendingClose { report(pendingClose) }
            pendingClose = nil
        }
    }

    /// Ends the socket; its own close report is not wanted any more.
    private func finishSocket(_ end: (any Transport) -> Void) {
        socket.delegate = nil
        guard !socket.isClosed else { return }
        end(socket)
    }

    /// Tells the peer, on the next turn (never inside the caller's own call).
    private func deliverClose(_ event: TransportCloseEvent) {
        scheduler.enqueue { [self] in report(event) }
    }

    private func report(_ event: TransportCloseEvent) {
        history.record(.closed, "close \(event.code.map(String.init) ?? "without a code") \(event.initiator.rawValue): \(event.reason)", at: scheduler.now)
        delegate?.transport(self, didClose: event)
    }
}
