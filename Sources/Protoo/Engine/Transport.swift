/// How a connection ended, as the engine sees it.
public struct TransportCloseEvent: Sendable, Hashable {
    /// Who ended the connection.
    public enum Initiator: String, Sendable, Hashable {
        /// This side called `close` or `abort`.
        case local
        /// The other side sent a close frame.
        case remote
        /// The connection was lost without a close frame (TCP reset, keep-alive timeout, …).
        case network
    }

    /// The WebSocket close code, when a close frame was exchanged.
    public var code: UInt16?
    public var reason: String
    public var initiator: Initiator

    public init(code: UInt16?, reason: String, initiator: Initiator) {
        self.code = code
        self.reason = reason
        self.initiator = initiator
    }
}

/// The seam between the engine and the world: one bidirectional text-message connection.
///
/// Implementations: the WebSocket server connection, the in-memory ``MemoryTransport`` and the
/// simulator's network links. Contract:
/// - every method is called on the engine's scheduler, and every delegate callback is delivered there;
/// - delegate callbacks are never made synchronously from inside `send`, `close` or `abort`;
/// - `didClose` is delivered at most once; nothing is delivered after it;
/// - the transport keeps its delegate alive until it has delivered `didClose`, then lets it go
///   (an open connection keeps its peer alive; the peer ↔ transport cycle ends with the close).
public protocol Transport: AnyObject {
    /// Receives inbound messages and the close event. The ``Peer`` sets itself here.
    var delegate: (any TransportDelegate)? { get set }
    /// `true` once closed by either side.
    var isClosed: Bool { get }
    /// Sends one text message. Ignored when closed.
    func send(_ text: String)
    /// Sends one text message given as its UTF-8, readable only during the call: what the engine
    /// has just encoded. A transport that can use the bytes as they are (replay compares them)
    /// saves making a `String`; the default makes one and calls ``send(_:)``.
    func send(utf8: UnsafeRawBufferPointer)
    /// Closes with a close frame carrying `code` and `reason`.
    func close(code: UInt16, reason: String)
    /// Drops the connection without a close frame.
    func abort()
}

extension Transport {
    public func send(utf8: UnsafeRawBufferPointer) {
        send(String(decoding: utf8, as: UTF8.self))
    }
}

/// Receives what a ``Transport`` delivers.
public protocol TransportDelegate: AnyObject {
    func transport(_ transport: any Transport, didReceive text: String)
    /// One inbound message given as its UTF-8, readable only during the call: what a transport
    /// that holds messages as bytes delivers (the simulator's links). A delegate that can use the
    /// bytes as they are saves making a `String` (the ``Peer`` makes one only for data it keeps);
    /// the default makes one and calls ``transport(_:didReceive:)``.
    func transport(_ transport: any Transport, didReceiveUTF8 bytes: UnsafeRawBufferPointer)
    func transport(_ transport: any Transport, didClose event: TransportCloseEvent)
}

extension TransportDelegate {
    public func transport(_ transport: any Transport, didReceiveUTF8 bytes: UnsafeRawBufferPointer) {
        self.transport(transport, didReceive: String(decoding: bytes, as: UTF8.self))
    }
}

/// WebSocket close codes the protocol uses.
public enum CloseCode {
    /// protoo's "closed by the server": a protoo-client does not reconnect after it.
    public static let protoo: UInt16 = 4000
    public static let normal: UInt16 = 1000
    public static let goingAway: UInt16 = 1001
    /// The remote broke RFC 6455 (e.g. an unmasked client frame, an invalid close code).
    public static let protocolError: UInt16 = 1002
    /// A text message that is not valid UTF-8.
    public static let invalidPayload: UInt16 = 1007
    public static let messageTooBig: UInt16 = 1009
    /// "Service restart" (RFC 6455 registry): a draining server's close; protoo-client reconnects.
    public static let serviceRestart: UInt16 = 1012
}
