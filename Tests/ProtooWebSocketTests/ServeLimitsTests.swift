import Foundation
import ProtooTestSupport
import Testing

/// `protoo serve` as a child process: the limit flags reach the server, and running out of file
/// descriptors (a low `ulimit -n`) neither floods the log nor stops the server for good (that
/// accepting pauses instead of spinning is checked on virtual time in AcceptErrorTests).
@Suite(.timeLimit(.minutes(3)), .serialized)
struct ServeLimitsTests {
    @Test func serveFlagsSetTheLimits() async throws {
        // 8 s: the deadline applies to the real clients below too, and a loaded machine must
        // finish their handshakes within it (the deadline itself is tested on virtual time).
        let serve = try await ProtooChild(["serve", "--app", "conformance", "--port", "0", "--handshake-timeout", "8s", "--max-connections", "1",
                                                        "--max-pending-handshakes", "8", "--max-partial-message-bytes", "1MiB"])
        let silent = try await SilentConnections(count: 3, port: serve.port)
        #expect(try await silent.waitUntilClosed(3, timeout: .seconds(90)), "silent connections outlived --handshake-timeout 8s")
        let (first, status) = try await RawWebSocketClient.upgraded(port: serve.port, target: "/?peerId=first")
        #expect(status == "HTTP/1.1 101 Switching Protocols")
        let (second, refused) = try await RawWebSocketClient.upgraded(port: serve.port, target: "/?peerId=second")
        #expect(refused == "HTTP/1.1 503 Service Unavailable")
        for client in [first, second] { await client.close() }
        await silent.close()
        serve.stop()
    }

    @Test func runningOutOfFileDescriptorsPausesAcceptingAndRecovers() async throws {
        // 40 descriptors: a few for the process itself, the rest for connections; 80 silent ones
        // leave accept() failing with EMFILE until the handshake deadline frees some.
        let serve = try await ProtooChild(["serve", "--app", "conformance", "--port", "0", "--handshake-timeout", "2s"], fileLimit: 40)
        let silent = try await SilentConnections(count: 80, port: serve.port)
        // They are all accepted (and closed at the handshake deadline) only through the descriptor limit.
        #expect(try await silent.waitUntilClosed(80, timeout: .seconds(60)), "\(silent.closed) of 80 silent connections closed")
        let client = try await Harness.upgradeEventually(port: serve.port, target: "/?peerId=real", status: "HTTP/1.1 101 Switching Protocols")
        #expect(client != nil, "a real client cannot connect after the silent ones timed out")
        await client?.close()
        await silent.close()
        serve.stop()
        let acceptLines = serve.log.components(separatedBy: "\n").filter { $0.contains("accepting connections failed") }
        #expect((1...3).contains(acceptLines.count), "\(acceptLines.count) accept-failure lines:\n\(serve.log)")
    }
}

/// protoo-server's documented limits (mediasoup-demo: 960,000-byte frames and messages, as a
/// browser sends each message as one frame) can be set on `serve`, and the proxy never refuses
/// what such an upstream accepts.
@Suite(.timeLimit(.minutes(2)))
struct FrameLimitFlagsTests {
    /// An echo of `bytes` bytes sent as one frame, as a browser sends it; `true` when answered.
    static func echoAsOneFrame(_ bytes: Int, port: Int) async throws -> (answered: Bool, closeCode: UInt16?, frames: Int) {
        let (client, _) = try await RawWebSocketClient.upgraded(port: port, target: "/?peerId=big\(bytes)")
        let payload = String(repeating: "x", count: bytes)
        try await client.sendText("{\"request\":true,\"id\":1,\"method\":\"echo\",\"data\":{\"p\":\"\(payload)\"}}")
        let answer = try await client.waitForFrame(timeout: .seconds(10)) { $0.opcode == 0x8 || ($0.opcode == 0x1 || $0.opcode == 0x0) && $0.fin }
        let frames = client.frames.filter { $0.opcode != 0x8 }.count
        let code = client.frames.first { $0.opcode == 0x8 }?.closeCode
        await client.close()
        return (answer != nil && code == nil, code, frames)
    }

    @Test func serveTakesBrowserSizedFramesWhenAskedAndFragmentsAsConfigured() async throws {
        let reference = try await ProtooChild(["serve", "--app", "conformance", "--host", "127.0.0.1", "--port", "0"])
        #expect(try await Self.echoAsOneFrame(60_000, port: reference.port).answered)
        #expect(try await Self.echoAsOneFrame(100_000, port: reference.port).closeCode == 1009)   // WebSocket-Node's 64 KiB default
        reference.stop()
        let mediasoup = try await ProtooChild(["serve", "--app", "conformance", "--host", "127.0.0.1", "--port", "0",
                                               "--max-frame-bytes", "960000", "--max-message-bytes", "960000", "--outgoing-fragment-bytes", "0"])
        let big = try await Self.echoAsOneFrame(300_000, port: mediasoup.port)
        #expect(big.answered)
        #expect(big.frames == 1, "the answer is one frame without outgoing fragmentation")
        #expect(try await Self.echoAsOneFrame(960_100, port: mediasoup.port).closeCode == 1009)
        mediasoup.stop()
    }

    @Test func theProxyNeverRefusesWhatAMediasoupDemoUpstreamAccepts() async throws {
        let upstream = try await ProtooChild(["serve", "--app", "conformance", "--host", "127.0.0.1", "--port", "0",
                                              "--max-frame-bytes", "960000", "--max-message-bytes", "960000"])
        let proxy = try await ProtooChild(["proxy", "--listen", "127.0.0.1:0", "--upstream", upstream.url])
        #expect(try await Self.echoAsOneFrame(300_000, port: proxy.port).answered)
        #expect(try await Self.echoAsOneFrame(900_000, port: proxy.port).answered)
        proxy.stop()
        upstream.stop()
        #expect(try ProtooTool.run(["serve", "--max-frame-bytes", "2MiB", "--max-message-bytes", "1MiB"]).status == 2)
    }
}
