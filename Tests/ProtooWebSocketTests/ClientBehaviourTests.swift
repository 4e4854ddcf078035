import Protoo
import ProtooClient
import ProtooWebSocket
import ProtooTestSupport
import Testing

/// The Swift client's own rules: disabled reconnection, not-connected requests, close semantics,
/// the retry delays.
@Suite(.timeLimit(.minutes(1)))
struct ClientBehaviourTests {
    @Test func withoutReconnectionADropEndsWithClose() async throws {
        try await withServer { server in
            let a = try await Harness.openClient(server, peerID: "a", reconnect: nil)
            _ = try await a.client.request("dropMe", ["how": "tcp"])
            try await waitUntil("a's events ended") { await a.log.finished }
            #expect(await a.log.events == [.open, .disconnected, .close])
        }
    }

    @Test func requestsWhileNotConnectedFailFast() async throws {
        let port = try await withServer { $0.port }   // nothing listens on `port` once this returns
        // Once its first attempt failed, the client waits an hour for the next: it is between attempts.
        let hourly = ProtooClient.ReconnectPolicy(retries: 2, factor: 1, minDelay: .seconds(3600), maxDelay: .seconds(3600))
        let c = try await Harness.client(port: port, query: "peerId=a", reconnect: hourly)
        try await waitUntil("the first attempt failed") { await c.log.events == [.failed(attempt: 1)] }
        await #expect(throws: ProtooClientError.notConnected) { try await c.client.request("echo") }
        await #expect(throws: ProtooClientError.notConnected) { try await c.client.notify("hello") }
        await c.client.close()
        try await waitUntil("the client's events ended") { await c.log.finished }
        #expect(await c.log.events == [.failed(attempt: 1), .close])
        await #expect(throws: ProtooClientError.closed) { try await c.client.request("echo") }
    }

    @Test func closeFailsPendingRequestsAndIsFinal() async throws {
        try await withServer { server in
            let a = try await Harness.openClient(server, peerID: "a")
            let handling = Latch(), release = Latch()
            defer { release.open() }
            await a.client.onRequest { _, _ in
                handling.open()
                await release.wait()
                return [:]
            }
            let client = a.client
            let pending = Task { try await client.request("requestMe", ["method": "slow"]) }
            // The server's request is being handled by the client: the original request is pending.
            await handling.wait()
            await a.client.close()
            await #expect(throws: ProtooError.peerClosed) { try await pending.value }
            await a.client.close() // idempotent
            #expect(await a.log.events == [.open, .close])
        }
    }

    @Test func invalidURLsAreRefused() async {
        for url in ["http://x/", "ws://", "ws://host:notaport/", "ws://[::1/"] {
            await #expect(throws: ProtooClientError.invalidURL(url)) { _ = try await ProtooClient.start(url: url) }
        }
    }

    @Test func reconnectDelaysFollowTheRetryModule() {
        let policy = ProtooClient.ReconnectPolicy.protooClient
        let delays = (1...10).map { policy.delay(afterAttempt: $0) }
        #expect(delays == [1, 2, 4, 8, 8, 8, 8, 8, 8, 8].map { Duration.seconds($0) })
    }
}
