import Protoo
import ProtooClient
import ProtooWebSocket
import Testing

/// The Swift client's own rules: disabled reconnection, not-connected requests, close semantics.
@Suite(.timeLimit(.minutes(1)))
struct ClientBehaviourTests {
    @Test func withoutReconnectionADropEndsWithClose() async throws {
        let server = try await Harness.startServer()
        let a = try await Harness.openClient(server, peerID: "a", reconnect: nil)
        _ = try await a.client.request("dropMe", ["how": "tcp"])
        try await Harness.waitUntil("close") { await a.log.events.contains(.close) }
        #expect(await a.log.events == [.open, .disconnected, .close])
        await server.shutdown()
    }

    @Test func requestsWhileNotConnectedFailFast() async throws {
        let server = try await Harness.startServer()
        let port = server.port
        await server.shutdown() // nothing listens on `port` now
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
        let server = try await Harness.startServer()
        let a = try await Harness.openClient(server, peerID: "a")
        await a.client.onRequest { _, _ in
            try await Task.sleep(for: .milliseconds(300))
            return [:]
        }
        let client = a.client
        let pending = Task { try await client.request("requestMe", ["method": "slow"]) }
        try await Task.sleep(for: .milliseconds(50))
        await a.client.close()
        await #expect(throws: ProtooError.peerClosed) { try await pending.value }
        await a.client.close() // idempotent
        #expect(await a.log.events == [.open, .close])
        try await Task.sleep(for: .milliseconds(400)) // let the slow handler finish
        await server.shutdown()
    }

    @Test func invalidURLsAreRefused() async {
        for url in ["http://x/", "ws://", "ws://host:notaport/", "ws://[::1/"] {
            await #expect(throws: ProtooClientError.invalidURL(url)) { _ = try await ProtooClient.start(url: url) }
        }
    }
}
