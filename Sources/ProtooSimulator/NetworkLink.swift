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
    /// `unowned(unsafe)`: the network outlives its links (the simulation owns both); a checked
    /// `unowned` reference costs an atomic check on every message.
    unowned(unsafe) let network: SimulatedNetwork
    /// The network and its scheduler as unmanaged references, used at +0 on the message path
    /// (no retain and release around every use); both outlive the link.
    private let networkRef: Unmanaged<SimulatedNetwork>
    private let schedulerRef: Unmanaged<VirtualScheduler>
    let clientEnd: LinkEnd
    let serverEnd: LinkEnd
    /// Per-link latency. Like the other per-message state of the link and its ends, it skips the
    /// dynamic exclusivity check: one thread, and no access spans a call that could reach it.
    @exclusivity(unchecked) var latency: LatencyModel
    /// One direction of the link: the latest scheduled delivery (FIFO), when the sender's pipe is
    /// free (bandwidth), the payloads in flight in delivery order (their times never decrease), and
    /// whether a wake-up is scheduled for the head. One timer per direction at a time: no closure
    /// per message. Stored inline in the link, with a hand-managed ring of (time, payload) and a
    /// byte queue for the messages' text: a message touches the link and its two buffers, not
    /// more objects (fewer cache misses when there are many peers and little of them fits in the
    /// cache: +10 % events/s at 10,000).
    struct Pipe {
        typealias Slot = (time: Int64, payload: Payload)
        var lastDelivery: Int64 = 0
        var busyUntil: Int64 = 0
        var wakeScheduled = false
        private var ring: UnsafeMutablePointer<Slot>?
        private var head = 0
        private var count = 0
        private var capacity = 0
        /// The bytes of the messages in flight, in order, in `bytes[byteStart..<byteEnd]`: a
        /// message crosses the link as bytes, copied once in and read in place on delivery (no
        /// `String`, no allocation per message once the buffer has grown to the traffic).
        private var bytes: UnsafeMutablePointer<UInt8>?
        private var byteStart = 0
        private var byteEnd = 0
        private var byteCapacity = 0
        /// The buffer an idle pipe keeps (larger ones are freed once empty).
        static let keptBytes = 256
        /// Set while a message is handed over from `bytes`: the buffer must not move meanwhile.
        private var delivering = false
        /// A buffer replaced during a delivery, freed once it ends.
        private var retired: UnsafeMutablePointer<UInt8>?

        /// Frees what is still in flight (the owner calls it once, from its `deinit`).
        mutating func destroy() {
            while count > 0 { _ = popFirst() }
            ring?.deallocate()
            ring = nil
            bytes?.deallocate()
            bytes = nil
            retired?.deallocate()
            retired = nil
        }

        /// Queues a message's bytes (its slot is appended with ``append(_:_:)``).
        mutating func appendBytes(_ utf8: UnsafeRawBufferPointer) {
            let n = utf8.count
            if byteEnd + n > byteCapacity { makeRoom(for: n) }
            if n > 0 { UnsafeMutableRawPointer(bytes! + byteEnd).copyMemory(from: utf8.baseAddress!, byteCount: n) }
            byteEnd += n
        }

        /// Moves the queued bytes to the front, or to a bigger buffer. During a delivery the bytes
        /// being read stay where they are: the queue moves to a new buffer and the old one waits.
        private mutating func makeRoom(for n: Int) {
            let live = byteEnd - byteStart
            if !delivering, byteStart > 0, live + n <= byteCapacity {
                if live > 0 { UnsafeMutableRawPointer(bytes!).copyMemory(from: bytes! + byteStart, byteCount: live) }
            } else {
                var newCapacity = max(Self.keptBytes, byteCapacity)
                while newCapacity < live + n { newCapacity *= 2 }
                let b = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
                if live > 0 { UnsafeMutableRawPointer(b).copyMemory(from: bytes! + byteStart, byteCount: live) }
                if delivering, retired == nil { retired = bytes } else { bytes?.deallocate() }
                bytes = b
                byteCapacity = newCapacity
            }
            byteStart = 0
            byteEnd = live
        }

        /// The first `n` queued bytes, readable until ``endDelivery(_:)``.
        mutating func beginDelivery(_ n: Int) -> UnsafeRawBufferPointer {
            delivering = true
            return UnsafeRawBufferPointer(start: bytes.map { UnsafeRawPointer($0 + byteStart) }, count: n)
        }

        /// Drops the `n` bytes just delivered. An emptied queue starts over at the front, and gives
        /// back a buffer grown past ``keptBytes`` by a burst (the join's big requests): what stays is
        /// what steady traffic needs, a few hundred bytes per direction.
        mutating func endDelivery(_ n: Int) {
            delivering = false
            if let r = retired {
                r.deallocate()
                retired = nil
            }
            byteStart += n
            if byteStart == byteEnd {
                byteStart = 0
                byteEnd = 0
                if byteCapacity > Self.keptBytes {
                    bytes?.deallocate()
                    bytes = nil
                    byteCapacity = 0
                }
            }
        }

        /// The delivery time of the first payload in flight.
        var firstTime: Int64? { count > 0 ? ring![head].time : nil }

        /// Takes the payload (consumed: stored without another retain).
        mutating func append(_ at: Int64, _ payload: consuming Payload) {
            if count == capacity { grow() }
            var i = head + count
            if i >= capacity { i -= capacity }
            (ring! + i).initialize(to: (at, payload))
            count += 1
        }

        mutating func popFirst() -> Payload {
            let slot = (ring! + head).move()
            head += 1
            if head == capacity { head = 0 }
            count -= 1
            return slot.payload
        }

        private mutating func grow() {
            let newCapacity = max(4, capacity * 2)
            let r = UnsafeMutablePointer<Slot>.allocate(capacity: newCapacity)
            for k in 0..<count {
                var i = head + k
                if i >= capacity { i -= capacity }
                (r + k).moveInitialize(from: ring! + i, count: 1)
            }
            ring?.deallocate()
            ring = r
            head = 0
            capacity = newCapacity
        }
    }
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
    /// Called on the client side when the server accepted (`.open`).
    var onOpen: (() -> Void)?
    /// Called on the client side when the server refused the upgrade.
    var onRejected: ((Int, String) -> Void)?

    init(id: ConnectionID, network: SimulatedNetwork, latency: LatencyModel) {
        self.id = id
        self.network = network
        self.networkRef = Unmanaged.passUnretained(network)
        self.schedulerRef = Unmanaged.passUnretained(network.scheduler)
        self.latency = latency
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
        let delay = networkRef._withUnsafeGuaranteedRef { network in latency.sample(&network.random) }
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
            let delay = latency.sample(&network.random)
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

/// One end of a ``NetworkLink``: the engine transport the server app or a simulated client uses.
///
/// The server end of an accepted connection reports its traffic to the network's tap itself,
/// exactly where a ``TappedTransport`` around it would (one object less on every message's way).
public final class LinkEnd: Transport {
    /// Held until the close is delivered (see ``Transport``).
    @exclusivity(unchecked) public var delegate: (any TransportDelegate)?
    /// Sees this end's messages in and out and its close, once ``isTapped`` (the server end of an
    /// accepted connection). A constant, and not optional: calling it borrows it, with no retain
    /// per message (binding an optional would copy it).
    let tap: any TrafficTap
    /// Set when the connection is accepted: from then on the tap sees this end's traffic.
    @exclusivity(unchecked) var isTapped = false
    @exclusivity(unchecked) public internal(set) var isClosed = false
    let side: NetworkLink.Side
    /// Strong (no weak side table on the hot path); released once this end's close is delivered.
    @exclusivity(unchecked) var link: NetworkLink? {
        didSet { linkRef = link.map { Unmanaged.passUnretained($0) } }
    }
    /// `link` at +0, for the message path (no retain and release per message): valid while
    /// `link` holds it, which is always the case while the end is open.
    @exclusivity(unchecked) private var linkRef: Unmanaged<NetworkLink>?
    @exclusivity(unchecked) private var closeDelivered = false

    init(side: NetworkLink.Side, tap: any TrafficTap) {
        self.side = side
        self.tap = tap
    }

    public func send(_ text: String) {
        guard !isClosed else { return }
        var text = text
        text.withUTF8 { send(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// Copies the bytes into the link (no `String` is made).
    public func send(utf8: UnsafeRawBufferPointer) {
        guard !isClosed, let linkRef else { return }
        linkRef._withUnsafeGuaranteedRef { link in
            if isTapped { tap.messageSent(link.id, at: link.now, utf8: utf8) }
            // On a dropped link the message is sent (this side does not know yet) and lost.
            guard !link.isDropped else { return }
            link.transmit(from: side, utf8: utf8)
        }
    }

    public func close(code: UInt16, reason: String) {
        guard !isClosed, let link else { return }
        isClosed = true
        if !link.isDropped { link.transmit(from: side, .close(code: code, reason: reason)) }
        let event = TransportCloseEvent(code: code, reason: reason, initiator: .local)
        link.network.scheduler.enqueue { [self] in self.deliverClose(event) }
    }

    public func abort() {
        guard !isClosed, let link else { return }
        isClosed = true
        if !link.isDropped { link.transmit(from: side, .drop) }
        let event = TransportCloseEvent(code: nil, reason: "aborted", initiator: .local)
        link.network.scheduler.enqueue { [self] in self.deliverClose(event) }
    }

    func closeFromRemote(_ event: TransportCloseEvent) {
        guard !isClosed else { return }
        isClosed = true
        deliverClose(event)
    }

    func deliverClose(_ event: TransportCloseEvent) {
        guard !closeDelivered else { return }
        closeDelivered = true
        if isTapped, let link { tap.connectionClosed(link.id, at: link.now, event: event) }
        let delegate = self.delegate
        self.delegate = nil
        link = nil
        delegate?.transport(self, didClose: event)
    }
}
