import Logging
import NIOCore
import NIOEmbedded
import Protoo
@testable import ProtooWebSocketCore
import ProtooWebSocket
import Testing

/// What live replay's order barrier rests on, on an embedded channel and virtual time: a ping is
/// answered by its pong (or a later one), a client waits for the server to close TCP after the
/// close handshake, and a drop can be told to the server with a FIN.
struct ClientCloseAndPingTests {
    typealias Codec = WebSocketFrameCodec

    static func client() throws -> (EmbeddedChannel, WebSocketConnection, WebSocketFrameCodecTests.Recorder) {
        let channel = EmbeddedChannel()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let connection = WebSocketConnection(role: .client, limits: WebSocketLimits(), eventLoop: channel.embeddedEventLoop, logger: logger)
        let recorder = WebSocketFrameCodecTests.Recorder()
        connection.delegate = recorder
        try channel.pipeline.syncOperations.addHandler(connection)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, connection, recorder)
    }

    /// The frames written so far: (opcode, unmasked payload).
    static func written(_ channel: EmbeddedChannel) throws -> [(Codec.Opcode, [UInt8])] {
        var frames: [(Codec.Opcode, [UInt8])] = []
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
            while buffer.readableBytes > 0, case .header(let h) = Codec.parseHeader(buffer, maxFrameSize: 1 << 20) {
                buffer.moveReaderIndex(forwardBy: h.headerLength)
                var payload = Array(buffer.readBytes(length: h.payloadLength)!)
                if let key = h.maskKey { payload.withUnsafeMutableBytes { Codec.applyMask(key, to: $0) } }
                frames.append((h.opcode, payload))
            }
        }
        return frames
    }

    @Test func aPingIsAnsweredByItsPongOrALaterOne() throws {
        let (channel, connection, _) = try Self.client()
        var answered: [Int] = []
        connection.ping { answered.append(1) }
        connection.ping { answered.append(2) }
        let pings = try Self.written(channel)
        #expect(pings.map(\.0) == [.ping, .ping])
        #expect(pings.allSatisfy { $0.1.count == 8 })
        // An unsolicited empty pong answers nothing.
        try channel.writeInbound(WebSocketFrameCodecTests.frame(.pong, []))
        #expect(answered.isEmpty)
        // The pong to the second ping answers both (RFC 6455 lets a server answer only the latest).
        try channel.writeInbound(WebSocketFrameCodecTests.frame(.pong, pings[1].1))
        #expect(answered == [1, 2])
        // A ping when the connection is gone is answered on the next turn (nothing to wait for).
        connection.ping { answered.append(3) }
        try channel.close().wait()
        channel.embeddedEventLoop.run()
        #expect(answered == [1, 2, 3])
    }

    @Test func pingsStillWaitingWhenTheConnectionEndsAreAnswered() throws {
        let (channel, connection, _) = try Self.client()
        var answered = false
        connection.ping { answered = true }
        try channel.close().wait()
        #expect(answered)
    }

    @Test func aClientWaitsForTheServerToCloseTCPAfterTheHandshake() throws {
        let (channel, connection, recorder) = try Self.client()
        connection.close(code: 1000, reason: "bye")
        #expect(try Self.written(channel).map(\.0) == [.close])
        let closeFuture = try #require(connection.closeFuture)
        try channel.writeInbound(WebSocketFrameCodecTests.frame(.close, [0x03, 0xE8]))   // the server's answer
        channel.embeddedEventLoop.run()
        #expect(channel.isActive, "the client closed TCP before the server did")
        #expect(recorder.closes.map(\.initiator) == [.local])
        // The server's FIN closes the channel: now the close is complete.
        try channel.close().wait()
        channel.embeddedEventLoop.run()
        #expect(throws: Never.self) { try closeFuture.wait() }
    }

    @Test func aServerThatNeverClosesTCPIsLeftAfterTheCloseHandshakeTimeout() throws {
        let (channel, connection, _) = try Self.client()
        connection.close(code: 1000, reason: "bye")
        try channel.writeInbound(WebSocketFrameCodecTests.frame(.close, [0x03, 0xE8]))
        channel.embeddedEventLoop.advanceTime(by: .nanoseconds(WebSocketLimits().closeHandshakeTimeout.nanoseconds - 1))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .nanoseconds(1))
        #expect(!channel.isActive)
    }

    @Test func disconnectSendsNoCloseFrameAndReportsTheDrop() throws {
        let (channel, connection, recorder) = try Self.client()
        connection.send("{\"a\":1}")
        connection.disconnect()
        channel.embeddedEventLoop.run()
        let frames = try Self.written(channel)
        #expect(frames.map(\.0) == [.text], "what was sent goes first, and no close frame")
        #expect(recorder.closes.count == 1)
        #expect(recorder.closes.first?.code == nil)
        #expect(connection.isClosed)
        // Whatever the channel makes of the half-close, the close handshake timeout ends it.
        channel.embeddedEventLoop.advanceTime(by: .nanoseconds(WebSocketLimits().closeHandshakeTimeout.nanoseconds))
        #expect(!channel.isActive)
    }
}
