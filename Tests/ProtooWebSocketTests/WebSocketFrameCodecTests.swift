import Logging
import NIOCore
import NIOEmbedded
import Protoo
@testable import ProtooWebSocketCore
import ProtooWebSocket
import Testing

/// The connection's own RFC 6455 framing: headers at every length boundary, masking, protocol
/// errors, and a connection fed its input one byte at a time.
struct WebSocketFrameCodecTests {
    typealias Codec = WebSocketFrameCodec

    static func frame(_ opcode: Codec.Opcode, _ payload: [UInt8], fin: Bool = true, mask: UInt32? = nil) -> ByteBuffer {
        var buffer = ByteBuffer()
        payload.withUnsafeBytes { Codec.writeFrame(fin: fin, opcode: opcode, payload: $0, maskKey: mask, into: &buffer) }
        return buffer
    }

    @Test(arguments: [0, 1, 125, 126, 127, 65_535, 65_536, 200_000])
    func headerRoundTripsAtLengthBoundaries(length: Int) throws {
        for mask in [nil, UInt32(0xA1B2_C3D4)] as [UInt32?] {
            let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let buffer = Self.frame(.binary, payload, fin: false, mask: mask)
            let expectedHeader = (length <= 125 ? 2 : length <= 65_535 ? 4 : 10) + (mask == nil ? 0 : 4)
            #expect(buffer.readableBytes == expectedHeader + length)
            guard case .header(let h) = Codec.parseHeader(buffer, maxFrameSize: 1 << 20) else {
                Issue.record("no header for length \(length)")
                return
            }
            #expect(h == Codec.Header(fin: false, opcode: .binary, maskKey: mask, payloadLength: length, headerLength: expectedHeader))
            // Every shorter prefix of the header asks for more bytes.
            for cut in 0..<expectedHeader {
                #expect(Codec.parseHeader(buffer.getSlice(at: 0, length: cut)!, maxFrameSize: 1 << 20) == .needMoreBytes)
            }
            // The payload on the wire, unmasked, is the original.
            var wire = Array(buffer.readableBytesView.dropFirst(expectedHeader))
            if let mask { wire.withUnsafeMutableBytes { Codec.applyMask(mask, to: $0) } }
            #expect(wire == payload)
        }
    }

    @Test func maskMatchesTheByteByByteDefinition() {
        let key: UInt32 = 0x37FA_213D
        let keyBytes: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
        for length in 0...40 {
            let original = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 13 + 1) }
            var masked = original
            masked.withUnsafeMutableBytes { Codec.applyMask(key, to: $0) }
            #expect(masked == original.enumerated().map { $0.element ^ keyBytes[$0.offset % 4] })
        }
        // RFC 6455 §5.7: a masked "Hello".
        var hello = Array("Hello".utf8)
        hello.withUnsafeMutableBytes { Codec.applyMask(0x37FA_213D, to: $0) }
        #expect(hello == [0x7F, 0x9F, 0x4D, 0x51, 0x58])
    }

    @Test func invalidFramesNameTheirCloseCode() {
        func parse(_ bytes: [UInt8], max: Int = 1000) -> Codec.ParseResult {
            Codec.parseHeader(ByteBuffer(bytes: bytes), maxFrameSize: max)
        }
        #expect(parse([0x81 | 0x40, 0x00]) == .invalid(code: 1002, reason: "reserved bits set (no extension was negotiated)"))
        #expect(parse([0x83, 0x00]) == .invalid(code: 1002, reason: "unknown opcode"))
        #expect(parse([0x09, 0x00]) == .invalid(code: 1002, reason: "fragmented control frame"))
        #expect(parse([0x89, 126, 0x00, 126]) == .invalid(code: 1002, reason: "control frame longer than 125 bytes"))
        #expect(parse([0x81, 126, 0x03, 0xE9]) == .invalid(code: 1009, reason: "frame larger than 1000 bytes"))
        #expect(parse([0x81, 127, 0x80, 0, 0, 0, 0, 0, 0, 0]) == .invalid(code: 1002, reason: "64-bit payload length with its most significant bit set"))
        #expect(parse([0x81, 127, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]) == .invalid(code: 1009, reason: "frame larger than 1000 bytes"))
        #expect(parse([0x81, 126, 0x03, 0xE8]) != .needMoreBytes)  // exactly the limit is fine
    }

    @Test func textIsFragmentedAtTheConfiguredSize() {
        var buffer = ByteBuffer()
        Codec.writeText(String(repeating: "é", count: 10), fragmentSize: 8, maskKey: { nil }, into: &buffer)
        var sizes: [Int] = []
        var opcodes: [Codec.Opcode] = []
        var fins: [Bool] = []
        var text: [UInt8] = []
        while buffer.readableBytes > 0, case .header(let h) = Codec.parseHeader(buffer, maxFrameSize: 100) {
            buffer.moveReaderIndex(forwardBy: h.headerLength)
            text += buffer.readBytes(length: h.payloadLength)!
            sizes.append(h.payloadLength)
            opcodes.append(h.opcode)
            fins.append(h.fin)
        }
        #expect(sizes == [8, 8, 4])
        #expect(opcodes == [.text, .continuation, .continuation])
        #expect(fins == [false, false, true])
        #expect(String(decoding: text, as: UTF8.self) == String(repeating: "é", count: 10))
    }

    // MARK: A connection on an embedded channel

    final class Recorder: TransportDelegate {
        var texts: [String] = []
        var closes: [TransportCloseEvent] = []
        func transport(_ transport: any Transport, didReceive text: String) { texts.append(text) }
        func transport(_ transport: any Transport, didClose event: TransportCloseEvent) { closes.append(event) }
    }

    static func connection() throws -> (EmbeddedChannel, WebSocketConnection, Recorder) {
        let channel = EmbeddedChannel()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let connection = WebSocketConnection(role: .server, limits: WebSocketLimits(), eventLoop: channel.embeddedEventLoop, logger: logger)
        let recorder = Recorder()
        connection.delegate = recorder
        try channel.pipeline.syncOperations.addHandler(connection)
        return (channel, connection, recorder)
    }

    /// Every frame of a client's stream, split at every possible point, gives the same messages.
    @Test func inputSplitAnywhereGivesTheSameMessages() throws {
        var stream = ByteBuffer()
        stream.writeImmutableBuffer(Self.frame(.text, Array("{\"a\":1}".utf8), mask: 0x0102_0304))
        stream.writeImmutableBuffer(Self.frame(.text, Array("hello ".utf8), fin: false, mask: 0xDEAD_BEEF))
        stream.writeImmutableBuffer(Self.frame(.ping, Array("p".utf8), mask: 0x1111_1111))  // between fragments
        stream.writeImmutableBuffer(Self.frame(.continuation, Array("wörld".utf8), fin: true, mask: 0x0BAD_F00D))
        stream.writeImmutableBuffer(Self.frame(.binary, [1, 2, 3], mask: 0x0000_0001))  // ignored
        stream.writeImmutableBuffer(Self.frame(.text, Array(String(repeating: "x", count: 300).utf8), mask: 0x7777_7777))
        let bytes = Array(stream.readableBytesView)
        for chunk in [1, 2, 3, 7, 64, bytes.count] {
            let (channel, _, recorder) = try Self.connection()
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + chunk)
                try channel.writeInbound(ByteBuffer(bytes: bytes[offset..<end]))
                channel.pipeline.fireChannelReadComplete()
                offset = end
            }
            #expect(recorder.texts == ["{\"a\":1}", "hello wörld", String(repeating: "x", count: 300)], "chunk \(chunk)")
            #expect(recorder.closes.isEmpty)
            // The ping was answered with an unmasked pong carrying its payload.
            var out = ByteBuffer()
            while let b = try channel.readOutbound(as: ByteBuffer.self) { out.writeImmutableBuffer(b) }
            #expect(Array(out.readableBytesView) == Array(Self.frame(.pong, Array("p".utf8)).readableBytesView), "chunk \(chunk)")
            _ = try? channel.finish()
        }
    }

    /// Messages sent during a read batch leave as one buffer at the end of the batch.
    @Test func sendsInOneReadBatchAreWrittenOnce() throws {
        let (channel, connection, _) = try Self.connection()
        try channel.writeInbound(Self.frame(.text, Array("x".utf8), mask: 1))
        connection.send("one")
        connection.send("two")
        connection.send(String(repeating: "3", count: 200))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)  // not before the batch ends
        channel.pipeline.fireChannelReadComplete()
        let out = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        var expected = ByteBuffer()
        for text in ["one", "two", String(repeating: "3", count: 200)] {
            expected.writeImmutableBuffer(Self.frame(.text, Array(text.utf8)))
        }
        #expect(out == expected)
        _ = try? channel.finish()
    }

    @Test func aProtocolErrorClosesWith1002AndReportsIt() throws {
        let (channel, _, recorder) = try Self.connection()
        try channel.writeInbound(ByteBuffer(bytes: [0x81 | 0x20, 0x80, 0, 0, 0, 0]))  // RSV2 set
        channel.embeddedEventLoop.run()
        #expect(recorder.closes.map(\.code) == [1002])
        let out = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(Array(out.readableBytesView.prefix(4)) == [0x88, 16, 0x03, 0xEA])  // close 1002 "protocol error"
        _ = try? channel.finish()
    }
}
