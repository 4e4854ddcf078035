import Protoo
import ProtooWebSocket
import ProtooTestSupport
import Testing

/// A client repeating a loggable mistake gets a few lines, not one per frame.
@Suite(.timeLimit(.minutes(2)))
struct LogFloodTests {
    @Test func aFloodOfInvalidMessagesLogsAFewLinesAndOneSummary() async throws {
        let capture = LogCapture()
        try await withServer(configure: {
            $0.logger = capture.logger(level: .info)
            $0.logFloodInterval = .seconds(60)   // the burst only (the summary is tested on virtual time below)
        }) { server in
            let (client, status) = try await RawWebSocketClient.upgraded(port: server.port, target: "/?peerId=flood")
            #expect(status == "HTTP/1.1 101 Switching Protocols")
            let null = RawWebSocketClient.frame(opcode: 0x1, payload: Array("null".utf8))
            try await client.send(Array([[UInt8]](repeating: null, count: 2000).joined()))
            #expect(try await client.echoes(id: 1), "the flood is processed and the connection still served")
            let dropped = capture.lines(containing: "dropped invalid message")
            #expect(dropped.count == 5, "\(dropped.count) lines for 2000 invalid messages")
            try await client.send(RawWebSocketClient.frame(opcode: 0x8, payload: [0x03, 0xE8]))
            #expect(try await client.waitForClose(timeout: .seconds(10)))
            await client.close()
        }
    }

    @Test func aFloodOfBinaryFramesLogsAFewLines() async throws {
        let capture = LogCapture()
        try await withServer(configure: { $0.logger = capture.logger(level: .info) }) { server in
            let (client, _) = try await RawWebSocketClient.upgraded(port: server.port, target: "/?peerId=binary")
            let binary = RawWebSocketClient.frame(opcode: 0x2, payload: [1, 2, 3])
            try await client.send(Array([[UInt8]](repeating: binary, count: 500).joined()))
            #expect(try await client.echoes(id: 2))
            let lines = capture.lines(containing: "binary frame ignored")
            #expect(lines.count == 5, "\(lines.count) lines for 500 binary frames")
            await client.close()
        }
    }
}

/// The server-wide limit: many connections, one line each at most five times, then a summary.
@Suite(.timeLimit(.minutes(2)))
struct ServerWideLogFloodTests {
    @Test func aThousandBadConnectionsLogAFewLinesAndOneSummary() async throws {
        let capture = LogCapture()
        try await withServer(configure: {
            $0.logger = capture.logger(level: .info)
            $0.logFloodInterval = .seconds(60)     // no periodic line during the test: only the burst
        }) { server in
            for i in 0..<300 {
                let (client, _) = try await RawWebSocketClient.upgraded(port: server.port, target: "/?peerId=bad\(i)")
                // An unmasked frame from a client: the server fails the connection (1002).
                try await client.send(RawWebSocketClient.frame(opcode: 0x1, payload: Array("{}".utf8), mask: nil))
                _ = try await client.waitForClose(timeout: .seconds(10))
                await client.close()
            }
            let lines = capture.lines(containing: "closing connection")
            #expect(lines.count == 5, "\(lines.count) lines for 300 connections")
        }
    }

    @Test func theGuardSumsUpOnVirtualTime() {
        let (context, scheduler) = EngineContext.virtual()
        let capture = LogCapture()
        let floodGuard = LogFloodGuard(scheduler: context.scheduler, logger: capture.logger(level: .info))
        for _ in 0..<100 { floodGuard.log(.warning, "closing connection: protocol error") }
        floodGuard.log(.info, "another kind")
        #expect(capture.lines(containing: "closing connection").count == 5)
        scheduler.advance(by: .seconds(10))
        #expect(capture.lines(containing: "more like this").map(\.message) == ["95 more like this in the last 10.0 seconds: closing connection: protocol error"])
        // After the interval the next line passes again, and nothing more is summed.
        floodGuard.log(.warning, "closing connection: protocol error")
        scheduler.advance(by: .seconds(30))
        #expect(capture.lines(containing: "closing connection").count == 7)
    }
}
