import Protoo
import ProtooTestSupport
import ProtooWebSocket
import Testing

/// Connections that never finish the upgrade are closed at the handshake deadline, unfinished
/// handshakes are capped, and open connections are capped with 503: over real sockets (the
/// deadline's instant is checked on virtual time in HandshakeDeadlineTests).
@Suite(.timeLimit(.minutes(2)))
struct HandshakeLimitTests {
    @Test func silentAndHalfSentHandshakesAreClosedAndAnUpgradedConnectionIsNot() async throws {
        // 2 s, not less: under a loaded parallel run the upgraded client below must finish its
        // handshake within it.
        try await withServer(configure: { $0.handshakeTimeout = .seconds(2) }) { server in
            // Upgraded first: its handshake deadline falls before the silent ones'.
            let (client, status) = try await RawWebSocketClient.upgraded(port: server.port, target: "/?peerId=upgraded")
            #expect(status == "HTTP/1.1 101 Switching Protocols")
            let silent = try await SilentConnections(count: 20, port: server.port)
            let halfSent = try await SilentConnections(count: 5, port: server.port, preamble: "GET /?peerId=slow HT")
            #expect(try await silent.waitUntilClosed(20), "\(silent.closed) of 20 silent connections closed")
            #expect(try await halfSent.waitUntilClosed(5), "\(halfSent.closed) of 5 half-sent requests closed")
            // Past its own deadline: an upgraded connection is no longer subject to it.
            #expect(!client.isClosed)
            #expect(try await client.echoes(id: 1))
            await client.close()
            await silent.close()
            await halfSent.close()
        }
    }

    @Test func beyondThePendingHandshakeCapNewConnectionsAreClosedAtOnce() async throws {
        try await withServer(configure: {
            $0.handshakeTimeout = .seconds(60)
            $0.maxPendingHandshakes = 4
        }) { server in
            let silent = try await SilentConnections(count: 4, port: server.port)
            let extra = try await SilentConnections(count: 1, port: server.port)
            #expect(try await extra.waitUntilClosed(1), "the connection past the cap is still open")
            #expect(silent.closed == 0)
            // Once the silent ones are gone, upgrades work again.
            await silent.close()
            let client = try await Harness.upgradeEventually(port: server.port, target: "/?peerId=after", status: "HTTP/1.1 101 Switching Protocols")
            #expect(client != nil)
            await client?.close()
            await extra.close()
        }
    }

    @Test func upgradesBeyondMaxConnectionsAreAnswered503() async throws {
        try await withServer(configure: { $0.maxConnections = 2 }) { server in
            let (a, statusA) = try await RawWebSocketClient.upgraded(port: server.port, target: "/?peerId=a")
            let (b, statusB) = try await RawWebSocketClient.upgraded(port: server.port, target: "/?peerId=b")
            #expect([statusA, statusB] == ["HTTP/1.1 101 Switching Protocols", "HTTP/1.1 101 Switching Protocols"])
            let (c, statusC) = try await RawWebSocketClient.upgraded(port: server.port, target: "/?peerId=c")
            #expect(statusC == "HTTP/1.1 503 Service Unavailable")
            #expect(try await c.waitForClose())
            #expect(try await a.echoes(id: 1))
            await a.close()
            let d = try await Harness.upgradeEventually(port: server.port, target: "/?peerId=d", status: "HTTP/1.1 101 Switching Protocols")
            #expect(d != nil)
            for client in [b, c] { await client.close() }
            await d?.close()
        }
    }
}
