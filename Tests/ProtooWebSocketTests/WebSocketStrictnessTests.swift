import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Protoo
@testable import ProtooWebSocketCore
@testable import ProtooWebSocket
import Testing

/// RFC 6455 rules hostile clients break and browsers never do: masking, UTF-8, close codes,
/// handshake keys; and a failed connection that stops reading.
struct WebSocketStrictnessTests {
    typealias Codec = WebSocketFrameCodec

    @Test func aServerRequiresMaskedFramesAClientDoesNot() {
        let unmasked = WebSocketFrameCodecTests.frame(.text, Array("hi".utf8))
        let masked = WebSocketFrameCodecTests.frame(.text, Array("hi".utf8), mask: 0x0102_0304)
        #expect(Codec.parseHeader(unmasked, maxFrameSize: 100, requireMask: true) == .invalid(code: 1002, reason: "unmasked client frame"))
        guard case .header = Codec.parseHeader(masked, maxFrameSize: 100, requireMask: true) else {
            Issue.record("a masked frame is refused")
            return
        }
        guard case .header = Codec.parseHeader(unmasked, maxFrameSize: 100) else {
            Issue.record("a client refuses the server's unmasked frame")
            return
        }
    }

    @Test func closePayloadsAreChecked() {
        func parse(_ code: UInt16, _ reason: [UInt8] = []) -> Codec.ClosePayload {
            Codec.parseClosePayload([UInt8(code >> 8), UInt8(code & 0xFF)] + reason)
        }
        for code: UInt16 in [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535] {
            #expect(parse(code) == .invalid(code: 1002, reason: "close frame with invalid code \(code)"))
        }
        for code: UInt16 in [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999] {
            #expect(parse(code, Array("bye".utf8)) == .valid(code: code, reason: "bye"))
        }
        #expect(Codec.parseClosePayload([]) == .valid(code: nil, reason: ""))
        #expect(Codec.parseClosePayload([0x03]) == .invalid(code: 1002, reason: "close frame with a 1-byte payload"))
        #expect(parse(1000, [0xC3]) == .invalid(code: 1007, reason: "close reason is not valid UTF-8"))
    }

    @Test func utf8ValidationMatchesTheStandardLibrary() {
        var cases: [[UInt8]] = [
            [], Array("plain ascii, longer than eight bytes".utf8), Array("é日本𝄞".utf8),
            [0x80], [0xC0, 0x80], [0xC1, 0xBF], [0xC2], [0xE0, 0x80, 0x80], [0xE0, 0xA0, 0x80], [0xED, 0xA0, 0x80],
            [0xED, 0x9F, 0xBF], [0xF0, 0x8F, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF],
            [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xFF], [0xF0, 0x90, 0x80], Array("abcdefgh".utf8) + [0xE2, 0x82],
        ]
        // Random byte strings around the ASCII fast path's 8-byte boundaries.
        var random = SeededRandom(seed: 6455)
        for length in 0..<40 {
            for _ in 0..<50 {
                cases.append((0..<length).map { _ in
                    Int.random(in: 0..<10, using: &random) < 6 ? UInt8(ascii: "a") : UInt8.random(in: 0x80...0xFF, using: &random)
                })
            }
        }
        for bytes in cases {
            #expect(UTF8Validation.isValid(bytes) == (String(validating: bytes, as: UTF8.self) != nil), "\(bytes)")
        }
    }

    @Test func handshakeKeyAndMethodAreChecked() {
        #expect(HandshakeValidation.isValidKey("dGhlIHNhbXBsZSBub25jZQ=="))
        #expect(!HandshakeValidation.isValidKey("abc"))
        #expect(!HandshakeValidation.isValidKey("dGhlIHNhbXBsZSBub25j"))  // 15 bytes
        #expect(!HandshakeValidation.isValidKey("dGhlIHNhbXBsZSBub25jZQ=!"))
        #expect(!HandshakeValidation.isValidKey("dGhlIHNhbXBsZSBub25jZ*=="))
        var headers = HTTPHeaders([("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")])
        #expect(HandshakeValidation.problem(with: HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: headers)) == nil)
        #expect(HandshakeValidation.problem(with: HTTPRequestHead(version: .http1_1, method: .POST, uri: "/", headers: headers)) != nil)
        headers.replaceOrAdd(name: "Sec-WebSocket-Key", value: "short")
        #expect(HandshakeValidation.problem(with: HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: headers)) != nil)
    }

    // MARK: A server connection on an embedded channel

    /// Feeds `bytes` to a fresh server connection; returns what it wrote, what it reported, and
    /// whether the channel is still open.
    static func feed(_ chunks: [[UInt8]]) throws -> (out: [UInt8], recorder: WebSocketFrameCodecTests.Recorder, open: Bool) {
        let (channel, _, recorder) = try WebSocketFrameCodecTests.connection()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()  // active: a close shows
        for chunk in chunks {
            guard channel.isActive else { break }
            try channel.writeInbound(ByteBuffer(bytes: chunk))
            channel.pipeline.fireChannelReadComplete()
        }
        channel.embeddedEventLoop.run()
        var out: [UInt8] = []
        while let b = try channel.readOutbound(as: ByteBuffer.self) { out += b.readableBytesView }
        let open = channel.isActive
        _ = try? channel.finish()
        return (out, recorder, open)
    }

    @Test func unmaskedFrameFailsWith1002() throws {
        let result = try Self.feed([Array(WebSocketFrameCodecTests.frame(.text, Array("{}".utf8)).readableBytesView)])
        #expect(result.recorder.texts.isEmpty)
        #expect(result.recorder.closes.map(\.code) == [1002])
        #expect(Array(result.out.prefix(4)) == [0x88, 16, 0x03, 0xEA])
    }

    @Test func invalidUTF8FailsWith1007InOneFrameOrInFragments() throws {
        let single = Array(WebSocketFrameCodecTests.frame(.text, [0x7B, 0xFF, 0x7D], mask: 7).readableBytesView)
        let first = Array(WebSocketFrameCodecTests.frame(.text, [0x7B, 0xE2], fin: false, mask: 7).readableBytesView)
        let last = Array(WebSocketFrameCodecTests.frame(.continuation, [0x28, 0x7D], mask: 9).readableBytesView)  // E2 28: invalid
        for chunks in [[single], [first, last]] {
            let result = try Self.feed(chunks)
            #expect(result.recorder.texts.isEmpty)
            #expect(result.recorder.closes.map(\.code) == [1007])
            #expect(Array(result.out.prefix(4)) == [0x88, 15, 0x03, 0xEF])  // 1007 "invalid UTF-8"
        }
    }

    @Test func invalidCloseCodeIsAnswered1002NotEchoed() throws {
        for code: UInt16 in [1005, 1006, 999, 5000] {
            let frame = Array(WebSocketFrameCodecTests.frame(.close, [UInt8(code >> 8), UInt8(code & 0xFF)], mask: 3).readableBytesView)
            let result = try Self.feed([frame])
            #expect(Array(result.out.prefix(4)) == [0x88, 16, 0x03, 0xEA], "code \(code)")
            #expect(result.recorder.closes.map(\.code) == [1002])
        }
        let valid = Array(WebSocketFrameCodecTests.frame(.close, [0x0F, 0xA0], mask: 3).readableBytesView)  // 4000
        #expect(try Self.feed([valid]).out == [0x88, 2, 0x0F, 0xA0])
    }

    /// After an oversize frame's header the rest of its payload is not read as frames: one close
    /// frame goes out, one close is reported, and the channel closes without waiting for a reply.
    @Test func aFailedConnectionStopsReadingAndClosesAtOnce() throws {
        var header: [UInt8] = [0x81, 0x80 | 127]
        header += (0..<8).reversed().map { UInt8(truncatingIfNeeded: 70_000 >> ($0 * 8)) }
        header += [0, 0, 0, 0]
        // Payload bytes that would parse as frames with reserved bits set, and as a ping.
        let junk = [UInt8](repeating: 0xF1, count: 1000) + Array(WebSocketFrameCodecTests.frame(.ping, [1], mask: 5).readableBytesView)
        let result = try Self.feed([header + junk, junk, junk])
        #expect(result.recorder.closes.map(\.code) == [1009])
        #expect(result.out == [0x88, 17, 0x03, 0xF1] + Array("message too big".utf8))  // no pong, nothing else
        #expect(!result.open)
    }
}
