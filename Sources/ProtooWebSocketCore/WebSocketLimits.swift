/// Per-connection WebSocket limits and timers, shared by the server and the Swift client.
public struct WebSocketLimits: Sendable, Hashable {
    /// Largest frame accepted; a bigger one closes the connection with 1009. Default 64 KiB.
    public var maxFrameSize: Int = 64 * 1024
    /// Largest message (all fragments) accepted; a bigger one closes with 1009. Default 1 MiB.
    public var maxMessageSize: Int = 1024 * 1024
    /// Outgoing text messages are sent as frames of at most this many bytes. Default 16 KiB.
    public var outgoingFragmentSize: Int = 16 * 1024
    /// Bytes written but not yet taken by the socket above which the connection is dropped
    /// (the remote side is not reading). Default 4 MiB.
    public var outboundBufferLimit: Int = 4 * 1024 * 1024
    /// A ping is sent after this long without receiving anything; `nil` disables keep-alive. Default 60 s.
    public var keepAliveInterval: Duration? = .seconds(60)
    /// The connection is dropped if nothing (a pong or anything else) arrives this long after a ping. Default 10 s.
    public var keepAliveTimeout: Duration = .seconds(10)
    /// A connection whose socket holds unsent bytes that do not decrease for this long is dropped:
    /// its remote side is not reading (judged by bytes drained, not by frames received). Default 30 s.
    public var outboundStallTimeout: Duration = .seconds(30)
    /// After sending a close frame, how long to wait for the remote's close frame before closing TCP. Default 2 s.
    public var closeHandshakeTimeout: Duration = .seconds(2)

    /// The defaults above (the reference server's WebSocket-Node settings).
    public init() {}
}
