import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Protoo
import ProtooWebSocket
import ProtooTestSupport
import Testing

/// Clients that send but never read: the server's unsent bytes are capped server-wide (the largest
/// holders dropped), a connection whose unsent bytes do not drain is dropped (judged by bytes
/// drained, not frames received), and what the burst allocated is handed back.
@Suite(.timeLimit(.minutes(1)))
struct OutboundBudgetTests {
    /// A WebSocket client with a 4 KiB receive buffer that never reads, sending echo requests of
    /// `bytes` bytes in 60 KB fragments.
    final class NonReadingClient: Sendable {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let channel: any Channel

        init(port: Int, peer: String) async throws {
            channel = try await ClientBootstrap(group: group)
                .channelOption(.socketOption(.so_rcvbuf), value: 4096)
                .channelOption(.autoRead, value: false)
                .connect(host: "127.0.0.1", port: port).get()
            try await channel.writeAndFlush(ByteBuffer(string: RawTCP.upgradeRequest(port: port, target: "/?peerId=\(peer)")))
        }

        func sendEchoes(_ count: Int, bytes: Int) async throws {
            for id in 1...count {
                let text = Array("{\"request\":true,\"id\":\(id),\"method\":\"echo\",\"data\":{\"p\":\"\(String(repeating: "x", count: bytes))\"}}".utf8)
                let chunks = stride(from: 0, to: text.count, by: 60_000).map { Array(text[$0..<min(text.count, $0 + 60_000)]) }
                for (i, chunk) in chunks.enumerated() {
                    let frame = RawWebSocketClient.frame(opcode: i == 0 ? 0x1 : 0x0, payload: chunk, fin: i == chunks.count - 1)
                    do { try await channel.writeAndFlush(ByteBuffer(bytes: frame)) } catch { return }   // dropped meanwhile
                }
            }
        }

        func close() async {
            try? await channel.close()
            try? await group.shutdownGracefully()
        }
    }

    @Test func pastTheServerWideBudgetTheLargestHoldersAreDropped() async throws {
        let capture = LogCapture()
        try await withServer(configure: {
            $0.logger = capture.logger(level: .info)
            $0.maxOutboundBytes = 3 << 20
        }) { server in
            var clients: [NonReadingClient] = []
            for i in 0..<4 { clients.append(try await NonReadingClient(port: server.port, peer: "nr\(i)")) }
            // 6 MB owed to each: the kernel takes up to about 4 MB of it (its send buffer), the server holds the rest.
            for client in clients { try await client.sendEchoes(12, bytes: 500_000) }
            // The clients do not read, so the server's log says it (they would only see it by reading).
            try await waitUntil("some dropped") { !capture.lines(containing: "server-wide limit of unsent bytes").isEmpty }
            for client in clients { await client.close() }
        }
    }

    /// Over real sockets (the instant of the drop is checked on virtual time in OutboundStallTests).
    @Test func aConnectionWhoseUnsentBytesDoNotDrainIsDropped() async throws {
        var limits = WebSocketLimits()
        limits.outboundStallTimeout = .milliseconds(500)
        limits.keepAliveInterval = .seconds(3600)   // not the keep-alive: the drain is what is judged
        let capture = LogCapture()
        try await withServer(configure: {
            $0.limits = limits
            $0.logger = capture.logger(level: .info)
        }) { server in
            let client = try await NonReadingClient(port: server.port, peer: "stuck")
            try await client.sendEchoes(12, bytes: 500_000)   // under the budget, never read
            try await waitUntil("dropped") { !capture.lines(containing: "nothing sent to it drained").isEmpty }
            await client.close()
        }
    }
}
