/// Identifies one connection in a server's (or simulation's) traffic, e.g. in a trace.
public typealias ConnectionID = UInt64

/// Observes everything that crosses the engine's edge: connection attempts and their outcome,
/// every message in and out as wire text, and every close. The trace recorder is one.
///
/// Called on the engine's scheduler, with the engine clock's time. Must not block: hand the
/// record to a buffer and return.
public protocol TrafficTap: AnyObject {
    func connectionRequested(_ connection: ConnectionID, at time: Instant, target: String,
                             headers: [(name: String, value: String)], remoteAddress: String)
    func connectionAccepted(_ connection: ConnectionID, at time: Instant)
    func connectionRejected(_ connection: ConnectionID, at time: Instant, status: Int, reason: String)
    func messageReceived(_ connection: ConnectionID, at time: Instant, text: String)
    func messageSent(_ connection: ConnectionID, at time: Instant, text: String)
    func connectionClosed(_ connection: ConnectionID, at time: Instant, event: TransportCloseEvent)
    /// ``messageReceived(_:at:text:)`` with the message as its UTF-8, readable only during the
    /// call. The default makes a `String`; a tap that digests or copies bytes saves it.
    func messageReceived(_ connection: ConnectionID, at time: Instant, utf8: UnsafeRawBufferPointer)
    /// ``messageSent(_:at:text:)`` with the message as its UTF-8, readable only during the call.
    func messageSent(_ connection: ConnectionID, at time: Instant, utf8: UnsafeRawBufferPointer)
}

extension TrafficTap {
    public func messageReceived(_ connection: ConnectionID, at time: Instant, utf8: UnsafeRawBufferPointer) {
        messageReceived(connection, at: time, text: String(decoding: utf8, as: UTF8.self))
    }

    public func messageSent(_ connection: ConnectionID, at time: Instant, utf8: UnsafeRawBufferPointer) {
        messageSent(connection, at: time, text: String(decoding: utf8, as: UTF8.self))
    }
}

/// Wraps a transport and reports its traffic to a ``TrafficTap``: messages in and out, and the close.
public final class TappedTransport: Transport, TransportDelegate {
    public let inner: any Transport
    public let connection: ConnectionID
    private let tap: any TrafficTap
    private let scheduler: any Scheduler
    /// Held until the close is delivered (see ``Transport``).
    public var delegate: (any TransportDelegate)?

    public init(_ inner: any Transport, connection: ConnectionID, tap: any TrafficTap, scheduler: any Scheduler) {
        self.inner = inner
        self.connection = connection
        self.tap = tap
        self.scheduler = scheduler
        inner.delegate = self
    }

    public var isClosed: Bool { inner.isClosed }

    public func send(_ text: String) {
        guard !inner.isClosed else { return }
        tap.messageSent(connection, at: scheduler.now, text: text)
        inner.send(text)
    }

    /// Hands the bytes on as they are: the tap and the inner transport see the engine's encoding
    /// buffer, with no `String` in between unless one of them makes it.
    public func send(utf8: UnsafeRawBufferPointer) {
        guard !inner.isClosed else { return }
        tap.messageSent(connection, at: scheduler.now, utf8: utf8)
        inner.send(utf8: utf8)
    }

    public func close(code: UInt16, reason: String) { inner.close(code: code, reason: reason) }
    public func abort() { inner.abort() }

    public func transport(_ transport: any Transport, didReceive text: String) {
        tap.messageReceived(connection, at: scheduler.now, text: text)
        delegate?.transport(self, didReceive: text)
    }

    public func transport(_ transport: any Transport, didReceiveUTF8 bytes: UnsafeRawBufferPointer) {
        tap.messageReceived(connection, at: scheduler.now, utf8: bytes)
        delegate?.transport(self, didReceiveUTF8: bytes)
    }

    public func transport(_ transport: any Transport, didClose event: TransportCloseEvent) {
        tap.connectionClosed(connection, at: scheduler.now, event: event)
        let delegate = self.delegate
        self.delegate = nil
        delegate?.transport(self, didClose: event)
    }
}
