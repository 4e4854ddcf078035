import Protoo

/// One simulated WebSocket connection: two ends, each direction a FIFO pipe with latency,
/// optional bandwidth, and faults (clog, drop). Reordering never happens: WebSocket rides TCP.
/// The simulated network between one client and the server (internal: a run's faults are
/// applied through ``Simulation``'s `drop`, `clog`, `partition` and `serverClose`).
final class NetworkLink: TimerTarget {
    enum Side: Int { case client = 0, server = 1 }

    enum Payload {
        case open
        case rejected(status: Int, reason: String)
        /// A text message of this many bytes, waiting in its pipe's byte queue.
        case message(Int)
        case close(code: UInt16, reason: String)
        case drop
    }

    let id: ConnectionID
    /// `unowned(unsafe)`: the network outlives its links (the simulation owns both). Measured with
    /// `protoo simulate --rooms 100 --peers-per-room 10 --duration 300s` (1,000 peers): the build with checked references
    /// and dynamic exclusivity checks on the link and its ends took × 1.23 the CPU (median of 10
    /// alternated pairs); by perf, the link's exclusivity checks were 2.5 % of it, its unowned
    /// checks 0.4 %, and retains and releases where the unmanaged references below are used at +0
    /// another 1.1 %.
    unowned(unsafe) let network: SimulatedNetwork
    /// The scheduler as an unmanaged reference, used at +0 on the message path (no retain and
    /// release around every use); it outlives the link.
    private let schedulerRef: Unmanaged<VirtualScheduler>
    let clientEnd: LinkEnd
    let serverEnd: LinkEnd
    /// Per-link latency. Like the other per-message state of the link and its ends, it skips the
    /// dynamic exclusivity check: one thread, and no access spans a call that could reach it.
    @exclusivity(unchecked) var latency: LatencyModel
    /// The link's own latency draws (keyed by its client and attempt: see `RandomStream`).
    @exclusivity(unchecked) var random: SeededRandom
    // Unchecked exclusivity: no access to a pipe calls out while it is in progress (delivery
    // pops a payload first, then hands it over).
    @exclusivity(unchecked) private var clientToServer = Pipe()
    @exclusivity(unchecked) private var serverToClient = Pipe()
    /// Traffic is held until this instant (a clog or partition).
    @exclusivity(unchecked) var heldUntil: Int64 = 0
    /// Set by ``drop()``: nothing sent from now on, or still in flight (the upgrade's answer
    /// included), arrives. Neither side knows until its close is delivered one trip later; until
    /// then it still sends (and its traffic tap still records what it sends, as on a real server)
    /// and may close, into the void.
    @exclusivity(unchecked) private(set) var isDropped = false
    /// Which server the balancer sent the connection to (0 with one server).
    var server = 0
    /// Called on the client side when the server accepted (`.open`).
    var onOpen: (() -> Void)?
    /// Called on the client side when the server refused the upgrade.
    var onRejected: ((Int, String) -> Void)?

    init(id: ConnectionID, network: SimulatedNetwork, latency: LatencyModel, random: SeededRandom) {
        self.id = id
        self.network = network
        self.schedulerRef = Unmanaged.passUnretained(network.scheduler)
        self.latency = latency
        self.random = random
        clientEnd = LinkEnd(side: .client, tap: network.tap)
        serverEnd = LinkEnd(side: .server, tap: network.tap)
        clientEnd.link = self
        serverEnd.link = self
    }

    func end(_ side: Side) -> LinkEnd { side == .client ? clientEnd : serverEnd }

    /// The scheduler's time.
    var now: Instant { schedulerRef._withUnsafeGuaranteedRef { $0.now } }

    deinit {
        clientToServer.destroy()
        serverToClient.destroy()
    }

    /// Sends `payload` from `side` to the other side.
    func transmit(from side: Side, _ payload: consuming Payload, bytes: Int = 0) {
        if side == .client {
            transmit(&clientToServer, tag: Side.client.rawValue, payload, bytes: bytes)
        } else {
            transmit(&serverToClient, tag: Side.server.rawValue, payload, bytes: bytes)
        }
    }

    /// Sends one text message, given as its UTF-8, from `side` to the other side.
    func transmit(from side: Side, utf8: UnsafeRawBufferPointer) {
        if side == .client {
            clientToServer.appendBytes(utf8)
            transmit(&clientToServer, tag: Side.client.rawValue, .message(utf8.count), bytes: utf8.count)
        } else {
            serverToClient.appendBytes(utf8)
            transmit(&serverToClient, tag: Side.server.rawValue, .message(utf8.count), bytes: utf8.count)
        }
    }

    @inline(__always)
    private func transmit(_ pipe: inout Pipe, tag: Int, _ payload: consuming Payload, bytes: Int) {
        let now = schedulerRef._withUnsafeGuaranteedRef { $0.now.nanoseconds }
        var departure = now
        if let bps = latency.bytesPerSecond, bps > 0, bytes > 0 {
            departure = max(now, pipe.busyUntil) + Int64(bytes) * 1_000_000_000 / Int64(bps)
            pipe.busyUntil = departure
        }
        let delay = latency.sample(&random)
        var at = departure + delay
        at = max(at, pipe.lastDelivery, heldUntil)
        pipe.lastDelivery = at
        pipe.append(at, payload)
        if !pipe.wakeScheduled {
            pipe.wakeScheduled = true
            schedulerRef._withUnsafeGuaranteedRef { $0.post(at: Instant(nanoseconds: at), target: self, tag: tag) }
        }
    }

    /// Delivers everything due on direction `dir` (0: client → server, 1: server → client).
    /// Delivery can make either side send at once (appending to a pipe is safe meanwhile).
    public func timerFired(_ dir: Int) {
        if dir == Side.client.rawValue {
            deliverDue(client: true, tag: dir, to: serverEnd)
        } else {
            deliverDue(client: false, tag: dir, to: clientEnd)
        }
    }

    /// Delivery can make either side send at once, which appends to a pipe: each payload is popped
    /// in an access of its own, and the pipe is not accessed while a payload is delivered.
    @inline(__always)
    private func deliverDue(client: Bool, tag: Int, to target: LinkEnd) {
        let now = schedulerRef._withUnsafeGuaranteedRef { $0.now.nanoseconds }
        while let payload = popDue(client: client, now: now) {
            if case .message(let n) = payload {
                deliverMessage(n, client: client, to: target)
            } else {
                deliver(payload, to: target)
            }
        }
        let next = client ? clientToServer.firstTime : serverToClient.firstTime
        if let next {
            schedulerRef._withUnsafeGuaranteedRef { $0.post(at: Instant(nanoseconds: next), target: self, tag: tag) }
        } else if client {
            clientToServer.wakeScheduled = false
        } else {
            serverToClient.wakeScheduled = false
        }
    }

    @inline(__always)
    private func popDue(client: Bool, now: Int64) -> Payload? {
        if client {
            guard let at = clientToServer.firstTime, at <= now else { return nil }
            return clientToServer.popFirst()
        }
        guard let at = serverToClient.firstTime, at <= now else { return nil }
        return serverToClient.popFirst()
    }

    /// Hands the next `n` bytes of the pipe to `end`'s delegate, in place, then drops them.
    /// Whatever was in flight when the link dropped is lost.
    @inline(__always)
    private func deliverMessage(_ n: Int, client: Bool, to end: LinkEnd) {
        let utf8 = client ? clientToServer.beginDelivery(n) : serverToClient.beginDelivery(n)
        if !isDropped, !end.isClosed {
            if end.isTapped { end.tap.messageReceived(id, at: now, utf8: utf8) }
            end.delegate?.transport(end, didReceiveUTF8: utf8)
        }
        if client { clientToServer.endDelivery(n) } else { serverToClient.endDelivery(n) }
    }

    private func deliver(_ payload: Payload, to end: LinkEnd) {
        // Whatever was in flight when the link dropped is lost; each side hears of the drop itself.
        guard !isDropped else { return }
        switch payload {
        case .open:
            onRejected = nil
            onOpen?()
            onOpen = nil
        case .rejected(let status, let reason):
            onOpen = nil
            end.isClosed = true
            onRejected?(status, reason)
            onRejected = nil
        case .message:
            preconditionFailure("messages are delivered from their pipe's bytes")
        case .close(let code, let reason):
            end.closeFromRemote(TransportCloseEvent(code: code, reason: reason, initiator: .remote))
        case .drop:
            end.closeFromRemote(TransportCloseEvent(code: nil, reason: "connection lost", initiator: .network))
        }
    }

    /// Holds all traffic of this link until `instant`.
    func clog(until instant: Instant) {
        heldUntil = max(heldUntil, instant.nanoseconds)
    }

    /// Drops the connection without a close frame: traffic stops at once, and each side learns it
    /// after one trip (until then it may still send or close, and nothing of it arrives).
    func drop() {
        guard !isDropped, !clientEnd.isClosed || !serverEnd.isClosed else { return }
        isDropped = true
        let scheduler = network.scheduler
        for end in [clientEnd, serverEnd] where !end.isClosed {
            let delay = latency.sample(&random)
            scheduler.schedule(after: .nanoseconds(delay)) { [self, end] in
                end.closeFromRemote(TransportCloseEvent(code: nil, reason: "connection lost", initiator: .network))
                // A client still waiting for the upgrade sees its connection attempt fail (it retries).
                if end.side == .client, onOpen != nil, let failed = onRejected {
                    onOpen = nil
                    onRejected = nil
                    failed(0, "connection lost")
                }
            }
        }
    }
}
