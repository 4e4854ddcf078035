import Protoo
import ProtooWebSocket
import ProtooTestSupport
import Testing

/// Against a running server over raw TCP: hostile frames and handshakes get the RFC 6455 answer,
/// and a failed connection is closed at once, not after the close timeout.
@Suite(.timeLimit(.minutes(2)))
struct ProtocolStrictnessServerTests {
    /// A server whose close handshake timeout (60 s) is far longer than any wait here: a prompt
    /// close proves the server did not wait for it.
    static func withServer(logger: LogCapture? = nil, _ body: (ProtooServer) async throws -> Void) async throws {
        try await ProtooTestSupport.withServer(configure: { configuration in
            configuration.limits.closeHandshakeTimeout = .seconds(60)
            if let logger { configuration.logger = logger.logger(level: .info) }
        }, body)
    }

    /// Upgrades, sends `bytes`, and returns the frames the server sent before closing TCP.
    static func framesAfterSending(_ bytes: [UInt8], to server: ProtooServer, peer: String) async throws -> [RawWebSocketClient.Frame] {
        let (client, status) = try await RawWebSocketClient.upgraded(port: server.port, target: "/?peerId=\(peer)")
        #expect(status == "HTTP/1.1 101 Switching Protocols")
        try await client.send(bytes)
        let closed = try await client.waitForClose()
        #expect(closed, "\(peer): the server did not close TCP")
        let frames = client.frames
        await client.close()
        return frames
    }

    static let echo = Array("{\"request\":true,\"id\":1,\"method\":\"echo\",\"data\":{\"s\":\"x\"}}".utf8)

    @Test func unmaskedClientFrameIsClosed1002() async throws {
        try await Self.withServer { server in
            let frames = try await Self.framesAfterSending(RawWebSocketClient.frame(opcode: 0x1, payload: Self.echo, mask: nil), to: server, peer: "unmasked")
            #expect(frames.map(\.opcode) == [0x8], "only a close frame, no echo response")
            #expect(frames.first?.closeCode == 1002)
        }
    }

    @Test func textThatIsNotUTF8IsClosed1007() async throws {
        try await Self.withServer { server in
            let invalid = Array("{\"request\":true,\"id\":1,\"method\":\"echo\",\"data\":{\"s\":\"".utf8) + [0xFF, 0xFE] + Array("\"}}".utf8)
            let frames = try await Self.framesAfterSending(RawWebSocketClient.frame(opcode: 0x1, payload: invalid), to: server, peer: "utf8")
            #expect(frames.map(\.opcode) == [0x8], "only a close frame, no echo of repaired text")
            #expect(frames.first?.closeCode == 1007)
        }
    }

    @Test(arguments: [[0x03, 0xED], [0x03, 0xEE], [0x03, 0xE7], [0x03, 0xEC], [0x03, 0xF7], [0x07, 0xD0], [0x13, 0x88], [0x03]] as [[UInt8]])
    func invalidCloseFrameIsAnswered1002(payload: [UInt8]) async throws {
        // 1005, 1006, 999, 1004, 1015, 2000, 5000, and a 1-byte payload.
        try await Self.withServer { server in
            let frames = try await Self.framesAfterSending(RawWebSocketClient.frame(opcode: 0x8, payload: payload), to: server, peer: "close")
            #expect(frames.map(\.closeCode) == [1002], "close payload \(payload)")
        }
    }

    @Test func validCloseCodeIsEchoed() async throws {
        try await Self.withServer { server in
            let frames = try await Self.framesAfterSending(RawWebSocketClient.frame(opcode: 0x8, payload: [0x0B, 0xB8]), to: server, peer: "close3000")
            #expect(frames.map(\.closeCode) == [3000])
        }
    }

    @Test func upgradeWithABadKeyOrNotGETIsAnswered400() async throws {
        try await Self.withServer { server in
            let port = server.port
            let good = RawTCP.upgradeRequest(port: port, target: "/?peerId=k")
            let requests = [
                good.replacingOccurrences(of: "dGhlIHNhbXBsZSBub25jZQ==", with: "abc"),
                good.replacingOccurrences(of: "dGhlIHNhbXBsZSBub25jZQ==", with: "dGhlIHNhbXBsZSBub25j"),  // 15 bytes
                good.replacingOccurrences(of: "GET ", with: "POST "),
            ]
            for request in requests {
                let answer = try await RawTCP.exchange(port: port, request: request, timeout: .seconds(10))
                #expect(answer.statusLine == "HTTP/1.1 400 Bad Request", "\(request.prefix(60))")
            }
            let (accepted, status) = try await RawWebSocketClient.upgraded(port: port, target: "/?peerId=k")
            #expect(status == "HTTP/1.1 101 Switching Protocols")
            await accepted.close()
        }
    }

    /// Ids that are not UTF-8 once percent-decoded are refused, not repaired (repaired, `%FF` and
    /// `%FE` would both become U+FFFD: one peer would evict the other).
    @Test func aQueryThatIsNotUTF8IsAnswered400() async throws {
        try await Self.withServer { server in
            let port = server.port
            for target in ["/?peerId=%FF", "/?peerId=%FE", "/?peerId=%E2%82", "/?roomId=%C0%AF&peerId=a", "/?%FF=1&peerId=a"] {
                let answer = try await RawTCP.exchange(port: port, request: RawTCP.upgradeRequest(port: port, target: target), timeout: .seconds(10))
                #expect(answer.statusLine == "HTTP/1.1 400 Bad Request", "\(target)")
            }
            let (euro, status) = try await RawWebSocketClient.upgraded(port: port, target: "/?peerId=%E2%82%AC")
            #expect(status == "HTTP/1.1 101 Switching Protocols")
            await euro.close()
        }
    }

    /// The rest of an oversize frame is not parsed as frames (no bogus "reserved bits" lines), and
    /// TCP closes once the 1009 is out.
    @Test func afterAnOversizeFrameTheRestIsNotParsed() async throws {
        let capture = LogCapture()
        try await Self.withServer(logger: capture) { server in
            let payload = [UInt8](repeating: 0xF1, count: 70_000)  // masked with key 0: reads as frames with RSV bits set
            let frames = try await Self.framesAfterSending(RawWebSocketClient.frame(opcode: 0x1, payload: payload, mask: 0), to: server, peer: "big")
            #expect(frames.map(\.closeCode) == [1009])
            let closing = capture.lines(containing: "closing connection")
            #expect(closing.count == 1, "\(closing.map(\.message))")
            #expect(capture.lines(containing: "reserved bits").isEmpty)
        }
    }
}
