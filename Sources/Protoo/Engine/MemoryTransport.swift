/// An in-memory transport pair on one scheduler: what one end sends, the other receives on a later
/// turn of the scheduler, in order. For tests and for embedding the engine without sockets.
public final class MemoryTransport: Transport {
    /// Held until the close is delivered (see ``Transport``).
    public var delegate: (any TransportDelegate)?
    public private(set) var isClosed = false
    /// The other end. Strong (no weak side table on the message path); both ends let go once closed.
    private var remote: MemoryTransport?
    private let scheduler: any Scheduler
    /// Every text this end sent, in order (handy in tests).
    public private(set) var sent: [String] = []
    /// The close event this end observed, once closed.
    public private(set) var closeEvent: TransportCloseEvent?

    init(scheduler: any Scheduler) { self.scheduler = scheduler }

    /// Two connected ends.
    public static func pair(scheduler: any Scheduler) -> (MemoryTransport, MemoryTransport) {
        let a = MemoryTransport(scheduler: scheduler), b = MemoryTransport(scheduler: scheduler)
        a.remote = b
        b.remote = a
        return (a, b)
    }

    public func send(_ text: String) {
        guard !isClosed else { return }
        sent.append(text)
        guard let remote else { return }
        scheduler.enqueue { [remote] in
            guard !remote.isClosed else { return }
            remote.delegate?.transport(remote, didReceive: text)
        }
    }

    public func close(code: UInt16, reason: String) {
        finish(local: TransportCloseEvent(code: code, reason: reason, initiator: .local),
               remote: TransportCloseEvent(code: code, reason: reason, initiator: .remote))
    }

    public func abort() {
        finish(local: TransportCloseEvent(code: nil, reason: "aborted", initiator: .local),
               remote: TransportCloseEvent(code: nil, reason: "connection lost", initiator: .network))
    }

    private func finish(local: TransportCloseEvent, remote remoteEvent: TransportCloseEvent) {
        guard !isClosed else { return }
        isClosed = true
        closeEvent = local
        scheduler.enqueue { [self] in
            let delegate = self.delegate
            self.delegate = nil
            delegate?.transport(self, didClose: local)
        }
        guard let remote else { return }
        self.remote = nil
        scheduler.enqueue { [remote] in
            remote.remote = nil
            guard !remote.isClosed else { return }
            remote.isClosed = true
            remote.closeEvent = remoteEvent
            let delegate = remote.delegate
            remote.delegate = nil
            delegate?.transport(remote, didClose: remoteEvent)
        }
    }
}
