import Foundation
import ProtooTestSupport
import Testing

/// `protoo serve` as a child process: the limit flags reach the server, and running out of file
/// descriptors (a low `ulimit -n`) neither spins the CPU nor floods the log, and heals.
@Suite(.timeLimit(.minutes(3)), .serialized)
struct ServeLimitsTests {
    @Test func serveFlagsSetTheLimits() async throws {
        // 2 s, not less: a loaded parallel run must be able to open its silent connections first.
        let serve = try await ProtooChild(["serve", "--app", "conformance", "--port", "0", "--handshake-timeout", "2s", "--max-connections", "1",
                                                        "--max-pending-handshakes", "8", "--max-partial-message-bytes", "1MiB"])
        let silent = try await SilentConnections(count: 3, port: serve.port)
        #expect(try await silent.waitUntilClosed(3, timeout: .seconds(10)), "silent connections outlived --handshake-timeout 2s")
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
        let clock = ContinuousClock()
        let start = clock.now, cpuStart = serve.cpuSeconds
        try await Task.sleep(for: .milliseconds(1500))
        let wall = clock.now - start, cpu = serve.cpuSeconds - cpuStart
        let wallSeconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
        #expect(cpu < 0.3 * wallSeconds, "server used \(cpu) s of CPU in \(wall) at the descriptor limit (a busy accept loop)")
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
