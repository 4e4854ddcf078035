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
        // Retries slow enough that the client is still between attempts when it is asked to send,
        // even on a loaded machine.
        let retries = ProtooClient.ReconnectPolicy(retries: 2, factor: 1, minDelay: .milliseconds(400), maxDelay: .milliseconds(400))
        let configuration = ProtooClient.Configuration(reconnect: retries, logger: Harness.quietLogger)
        let client = try await ProtooClient.start(url: "ws://127.0.0.1:\(port)/?peerId=a", configuration: configuration)
        await #expect(throws: ProtooClientError.notConnected) { try await client.request("echo") }
        await #expect(throws: ProtooClientError.notConnected) { try await client.notify("hello") }
        var events: [ProtooClient.Event] = []
        for await event in client.events { events.append(event) }
        #expect(events == [.failed(attempt: 1), .failed(attempt: 2), .failed(attempt: 3), .close])
        await #expect(throws: ProtooClientError.closed) { try await client.request("echo") }
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
