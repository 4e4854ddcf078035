import NIOCore
import NIOEmbedded
import Protoo
import ProtooTestSupport
@testable import ProtooWebSocket
import Testing

/// The server's per-connection machinery (``ServerCore``: handshake, deadline, app decision,
/// WebSocket connection, keep-alive) on an `EmbeddedEventLoop`: connections are embedded channels
/// fed raw bytes, and time moves only when the test advances it. Deadlines are checked to the
/// nanosecond, without sockets or sleeps. Use it from synchronous tests only (the embedded loop
/// belongs to the thread that made it).
final class VirtualServer {
    let loop: EmbeddedEventLoop
    let core: ServerCore

    /// `app` on ``Harness/serverConfiguration()`` with `configure` applied.
    init(app: @escaping ProtooAppFactory, configure: (inout ProtooServer.Configuration) -> Void = { _ in }) {
        var configuration = Harness.serverConfiguration()
        configure(&configuration)
        let loop = EmbeddedEventLoop()
        self.loop = loop
        core = ServerCore(configuration: configuration, factory: app, eventLoop: loop)
    }

    /// The conformance app.
    convenience init(configure: (inout ProtooServer.Configuration) -> Void = { _ in }) {
        self.init(app: Harness.conformance, configure: configure)
    }

    var app: any ProtooApp { core.app }

    /// Virtual time since the server was made.
    var now: Duration { .nanoseconds(Int64(loop.now.uptimeNanoseconds)) }

    /// A new TCP connection, set up as the server sets up an accepted one (its handshake deadline armed).
    /// - Throws: what ``ServerCore/initialize(_:ssl:)`` throws (a connection refused at once).
    func connect() throws -> VirtualConnection {
        let channel = EmbeddedChannel(loop: loop)
        do {
            try core.initialize(channel, ssl: nil)
        } catch {
            try? channel.close().wait()
            throw error
        }
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 40_000)).wait()
        return VirtualConnection(channel: channel)
    }

    /// A connection whose upgrade to `target` was answered; fails the test unless with `status`.
    func upgraded(_ target: String = "/?peerId=a", status: String = "HTTP/1.1 101 Switching Protocols",
                  sourceLocation: SourceLocation = #_sourceLocation) throws -> VirtualConnection {
        let connection = try connect()
        try connection.send(RawTCP.upgradeRequest(port: 40_000, target: target))
        #expect(connection.statusLine == status, sourceLocation: sourceLocation)
        return connection
    }

    /// Moves virtual time on by `duration`, running every timer due meanwhile.
    func advance(by duration: Duration) {
        loop.advanceTime(by: .nanoseconds(duration.nanoseconds))
    }

    /// Runs the app's code on the server's loop (here: at once).
    func withApp<T>(_ body: (any ProtooApp) throws -> T) rethrows -> T { try body(core.app) }

    /// Shuts the server down as ``ProtooServer/shutdown()`` does (every connection closed, the
    /// stragglers after the grace period), then the loop: embedded channels and loops must end
    /// closed and with no timer left.
    deinit {
        _ = core.shutdown()
        loop.advanceTime(by: .nanoseconds(core.configuration.shutdownGracePeriod.nanoseconds))
        try? loop.syncShutdownGracefully()
    }
}

/// One TCP connection to a ``VirtualServer``: the bytes the client sent and what the server
/// wrote back.
final class VirtualConnection {
    let channel: EmbeddedChannel
    private var received: [UInt8] = []

    init(channel: EmbeddedChannel) { self.channel = channel }

    /// Whether the server keeps the TCP connection open.
    var isOpen: Bool { channel.isActive }

    /// Bytes from the client, in one read.
    func send(_ bytes: [UInt8]) throws {
        try channel.writeInbound(ByteBuffer(bytes: bytes))
        channel.pipeline.fireChannelReadComplete()
        channel.embeddedEventLoop.run()
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// A masked text frame from the client.
    func sendText(_ text: String) throws { try send(RawWebSocketClient.frame(opcode: 0x1, payload: Array(text.utf8))) }

    /// Everything the server wrote so far.
    var bytes: [UInt8] {
        while let buffer = try? channel.readOutbound(as: ByteBuffer.self) { received += buffer.readableBytesView }
        return received
    }

    /// The HTTP response's status line (empty before a complete response head).
    var statusLine: String {
        RawWebSocketClient.responseHead(in: bytes).map { String($0.split(separator: "\r\n").first ?? "") } ?? ""
    }

    /// The HTTP response head, once complete.
    var responseHead: String? { RawWebSocketClient.responseHead(in: bytes) }

    /// The frames the server sent after its 101.
    var frames: [RawWebSocketClient.Frame] { RawWebSocketClient.frames(in: bytes) }

    /// The text frames' payloads.
    var texts: [String] { frames.filter { $0.opcode == 0x1 }.map { String(decoding: $0.payload, as: UTF8.self) } }

    /// Sends an echo request; `true` once its response came back (at once: nothing waits here).
    func echoes(id: Int) throws -> Bool {
        try sendText("{\"request\":true,\"id\":\(id),\"method\":\"echo\",\"data\":{\"n\":\(id)}}")
        return texts.contains { $0.hasPrefix("{\"response\":true,\"id\":\(id),\"ok\":true") }
    }
}
