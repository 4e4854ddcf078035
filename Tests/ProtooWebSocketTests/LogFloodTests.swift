import Protoo
import ProtooWebSocket
import Testing

/// Issue 22, item 3: a client repeating a loggable mistake gets a few lines, not one per frame.
@Suite(.timeLimit(.minutes(2)))
struct LogFloodTests {
    @Test func aFloodOfInvalidMessagesLogsAFewLinesAndOneSummary() async throws {
        let capture = LogCapture()
        let server = try await Harness.startServer { $0.logger = capture.logger(level: .info) }
        let (client, status) = try await RawWebSocketClient.upgraded(port: server.port, target: "/?peerId=flood")
        #expect(status == "HTTP/1.1 101 Switching Protocols")
        let null = RawWebSocketClient.frame(opcode: 0x1, payload: Array("null".utf8))
        try await client.send(Array([[UInt8]](repeating: null, count: 2000).joined()))
        #expect(try await client.echoes(id: 1), "the flood is processed and the connection still served")
        let dropped = capture.lines(containing: "dropped invalid message")
        #expect(dropped.count == 5, "\(dropped.count) lines for 2000 invalid messages")
        // Closing the peer logs what was left out.
        try await client.send(RawWebSocketClient.frame(opcode: 0x8, payload: [0x03, 0xE8]))
        #expect(try await client.waitForClose(timeout: .seconds(10)))
        try await Harness.waitUntil("summary line") { !capture.lines(containing: "more not logged").isEmpty }
        #expect(capture.lines(containing: "more not logged").first?.metadata["suppressed"] == "1995")
        await client.close()
        await server.shutdown()
    }

    @Test func aFloodOfBinaryFramesLogsAFewLines() async throws {
        let capture = LogCapture()
        let server = try await Harness.startServer { $0.logger = capture.logger(level: .info) }
        let (client, _) = try await RawWebSocketClient.upgraded(port: server.port, target: "/?peerId=binary")
        let binary = RawWebSocketClient.frame(opcode: 0x2, payload: [1, 2, 3])
        try await client.send(Array([[UInt8]](repeating: binary, count: 500).joined()))
        #expect(try await client.echoes(id: 2))
        let lines = capture.lines(containing: "binary frame ignored")
        #expect(lines.count == 5, "\(lines.count) lines for 500 binary frames")
        await client.close()
        await server.shutdown()
    }
}
