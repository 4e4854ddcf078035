import Protoo

/// One end of a ``NetworkLink``: the engine transport the server app or a simulated client uses.
///
/// The server end of an accepted connection reports its traffic to the network's tap itself,
/// exactly where a ``TappedTransport`` around it would (one object less on every message's way).
///
/// Its per-message state skips the dynamic exclusivity check and `link` is used at +0, as the
/// link's own state is (see ``NetworkLink/network`` for the measurement).
public final class LinkEnd: Transport {
    /// Held until the close is delivered (see ``Transport``).
    @exclusivity(unchecked) public var delegate: (any TransportDelegate)?
    /// Sees this end's messages in and out and its close, once ``isTapped`` (the server end of an
    /// accepted connection). A constant, and not optional: calling it borrows it, with no retain
    /// per message (binding an optional would copy it).
    let tap: any TrafficTap
    /// Set when the connection is accepted: from then on the tap sees this end's traffic.
    @exclusivity(unchecked) var isTapped = false
    /// Whether this end closed or learned of the close.
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

    /// Sends a text message to the other end (nothing once closed).
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

    /// Closes with a close frame; the other end learns of it one trip later.
    public func close(code: UInt16, reason: String) {
        guard !isClosed, let link else { return }
        isClosed = true
        if !link.isDropped { link.transmit(from: side, .close(code: code, reason: reason)) }
        let event = TransportCloseEvent(code: code, reason: reason, initiator: .local)
        link.network.scheduler.enqueue { [self] in self.deliverClose(event) }
    }

    /// Closes without a close frame (a lost connection, for the other end).
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
