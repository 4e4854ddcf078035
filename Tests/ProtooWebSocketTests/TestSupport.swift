import Foundation
import Logging
import Protoo
import ProtooApps
import ProtooClient
import ProtooWebSocket
import Testing

/// Collects a client's events as they arrive.
actor EventLog {
    private(set) var events: [ProtooClient.Event] = []
    func append(_ event: ProtooClient.Event) { events.append(event) }
    func count(of event: ProtooClient.Event) -> Int { events.filter { $0 == event }.count }
}

/// A client and the log of its events.
struct Connected {
    let client: ProtooClient
    let log: EventLog
}

enum Harness {
    static let quietLogger: Logger = {
        var logger = Logger(label: "protoo.test")
        logger.logLevel = .critical
        return logger
    }()

    /// The conformance app on a loopback server, port 0.
    static func startServer(limits: WebSocketLimits = WebSocketLimits(), tap: (any TrafficTap & Sendable)? = nil) async throws -> ProtooServer {
        let configuration = ProtooServer.Configuration(host: "127.0.0.1", port: 0, limits: limits, trafficTap: tap,
                                                       randomSeed: 1, shutdownGracePeriod: .seconds(1), logger: quietLogger)
        return try await ProtooServer.start(configuration, app: try #require(BuiltInApps.factory(named: "conformance")))
    }

    /// Fast retries so reconnection tests take milliseconds.
    static func fastRetries(_ retries: Int = 10) -> ProtooClient.ReconnectPolicy {
        .init(retries: retries, factor: 2, minDelay: .milliseconds(20), maxDelay: .milliseconds(80))
    }

    static func client(_ server: ProtooServer, query: String, reconnect: ProtooClient.ReconnectPolicy? = fastRetries()) async throws -> Connected {
        let configuration = ProtooClient.Configuration(reconnect: reconnect, logger: quietLogger)
        let client = try await ProtooClient.start(url: "ws://127.0.0.1:\(server.port)/?\(query)", configuration: configuration)
        let log = EventLog()
        Task { for await event in client.events { await log.append(event) } }
        return Connected(client: client, log: log)
    }

    /// A client that is open (waits for the `open` event).
    static func openClient(_ server: ProtooServer, peerID: String, reconnect: ProtooClient.ReconnectPolicy? = fastRetries()) async throws -> Connected {
        let connected = try await client(server, query: "peerId=\(peerID)", reconnect: reconnect)
        try await waitUntil("\(peerID) open") { await connected.log.events.contains(.open) }
        return connected
    }

    /// Polls `condition` until it holds; fails the test after `timeout`.
    static func waitUntil(_ what: String, timeout: Duration = .seconds(10), _ condition: () async -> Bool) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if await condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("timed out after \(timeout) waiting for: \(what)")
        throw TimedOut(what: what)
    }

    struct TimedOut: Error { var what: String }

    /// The peers in the conformance room, as the server reports them.
    static func roomPeers(_ client: ProtooClient) async throws -> [String] {
        let data = try await client.request("roomPeers")
        return (data["peers"]?.arrayValue ?? []).compactMap(\.stringValue).sorted()
    }
}

/// Collects notifications delivered on a client's loop.
final class NotificationBox: @unchecked Sendable { // guarded by `lock`
    private let lock = NSLock()
    private var items: [(String, JSONValue)] = []
    func append(_ method: String, _ data: JSONValue) { lock.withLock { items.append((method, data)) } }
    var all: [(String, JSONValue)] { lock.withLock { items } }
}
