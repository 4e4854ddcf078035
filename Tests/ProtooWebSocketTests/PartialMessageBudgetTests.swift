import Protoo
import ProtooWebSocket
import ProtooTestSupport
import Testing

/// Bytes held in unfinished messages are capped server-wide; past the cap the connection holding
/// the most is closed with 1009 and the others carry on.
@Suite(.timeLimit(.minutes(2)))
struct PartialMessageBudgetTests {
    /// Sends the start of an echo request carrying `bytes` of padding, unfinished, then a ping:
    /// once the pong is back, the server has read it all.
    static func startMessage(_ client: RawWebSocketClient, id: Int, bytes: Int) async throws -> Bool {
        let head = Array("{\"request\":true,\"id\":\(id),\"method\":\"echo\",\"data\":{\"s\":\"".utf8)
        var message = head + [UInt8](repeating: UInt8(ascii: "p"), count: bytes)
        var frames: [UInt8] = []
        var first = true
        while !message.isEmpty {
            let chunk = Array(message.prefix(50_000))
            message.removeFirst(chunk.count)
            frames += RawWebSocketClient.frame(opcode: first ? 0x1 : 0x0, payload: chunk, fin: false)
            first = false
        }
        try await client.send(frames + RawWebSocketClient.frame(opcode: 0x9, payload: Array("\(id)".utf8)))
        return try await client.waitForFrame(where: { $0.opcode == 0xA && $0.payload == Array("\(id)".utf8) }) != nil
            || client.isClosed
    }

    static func finishMessage(_ client: RawWebSocketClient, id: Int) async throws -> Bool {
        try await client.send(RawWebSocketClient.frame(opcode: 0x0, payload: Array("\"}}".utf8)))
        return try await client.waitForFrame { $0.opcode == 0x1 && String(decoding: $0.payload, as: UTF8.self).hasPrefix("{\"response\":true,\"id\":\(id)") } != nil
    }

    @Test func theLargestHolderIsClosed1009WhenTheServerWideCapIsPassed() async throws {
        try await withServer(configure: { $0.maxPartialMessageBytes = 300_000 }) { server in
            let (a, _) = try await RawWebSocketClient.upgraded(port: server.port, target: "/?peerId=a")
            let (b, _) = try await RawWebSocketClient.upgraded(port: server.port, target: "/?peerId=b")
            let (c, _) = try await RawWebSocketClient.upgraded(port: server.port, target: "/?peerId=c")
            #expect(try await Self.startMessage(a, id: 1, bytes: 80_000))
            #expect(try await Self.startMessage(b, id: 2, bytes: 80_000))
            #expect(!a.isClosed && !b.isClosed, "160 kB held is under the cap")
            // c passes the cap once it holds over 140 kB, more than a or b: c goes, their 160 kB stay.
            _ = try await Self.startMessage(c, id: 3, bytes: 250_000)
            #expect(try await c.waitForClose(timeout: .seconds(10)))
            #expect(c.frames.compactMap(\.closeCode) == [1009])
            #expect(try await Self.finishMessage(a, id: 1), "a's message completes")
            #expect(try await Self.finishMessage(b, id: 2), "b's message completes")
            for client in [a, b, c] { await client.close() }
        }
    }
}
