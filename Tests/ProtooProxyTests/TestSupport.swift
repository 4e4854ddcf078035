import Foundation
import Logging
import Protoo
import ProtooApps
import ProtooClient
@testable import ProtooProxy
import ProtooWebSocket
import Testing

/// Collects a client's events as they arrive.
actor EventLog {
    private(set) var events: [ProtooClient.Event] = []
    func append(_ event: ProtooClient.Event) { events.append(event) }
}

/// A client and the log of its events.
struct Connected {
    let client: ProtooClient
    let log: EventLog
}

/// An upstream server and a proxy in front of it, both in process on port 0.
struct ProxiedServer {
    let upstream: ProtooServer
    let proxy: ProtooServer
    var port: Int { proxy.port }
    var url: String { "ws://127.0.0.1:\(proxy.port)" }

    func shutdown() async {
        await proxy.shutdown()
        await upstream.shutdown()
    }
}

enum Harness {
    static let quietLogger: Logger = {
        var logger = Logger(label: "protoo.test")
        logger.logLevel = .critical
        return logger
    }()

    /// A loopback server (port 0) running `app`.
    static func server(_ app: @escaping ProtooAppFactory, configure: (inout ProtooServer.Configuration) -> Void = { _ in }) async throws -> ProtooServer {
        var configuration = ProtooServer.Configuration(host: "127.0.0.1", port: 0, randomSeed: 1, shutdownGracePeriod: .seconds(1), logger: quietLogger)
        configure(&configuration)
        return try await ProtooServer.start(configuration, app: app)
    }

    /// The conformance app.
    static var conformance: ProtooAppFactory { { ConformanceApp(context: $0) } }

    /// The ``WireApp``.
    static var wire: ProtooAppFactory { { WireApp(context: $0) } }

    /// A proxy (port 0) in front of `upstream`, with `configure` applied to its configuration.
    static func proxy(to upstream: ProtooServer, configure: (inout ProxyConfiguration) -> Void = { _ in }) async throws -> ProtooServer {
        var configuration = try ProxyConfiguration(upstream: "ws://127.0.0.1:\(upstream.port)", logger: quietLogger)
        configure(&configuration)
        return try await server(ProxyApp.factory(configuration))
    }

    /// `app` (default: conformance) behind a proxy.
    static func proxied(_ app: ProtooAppFactory? = nil, configure: (inout ProxyConfiguration) -> Void = { _ in }) async throws -> ProxiedServer {
        let upstream = try await server(app ?? conformance)
        return ProxiedServer(upstream: upstream, proxy: try await proxy(to: upstream, configure: configure))
    }

    /// Fast retries so reconnection tests take milliseconds.
    static func fastRetries(_ retries: Int = 10) -> ProtooClient.ReconnectPolicy {
        .init(retries: retries, factor: 2, minDelay: .milliseconds(20), maxDelay: .milliseconds(80))
    }

    static func client(port: Int, query: String, reconnect: ProtooClient.ReconnectPolicy? = fastRetries()) async throws -> Connected {
        let configuration = ProtooClient.Configuration(reconnect: reconnect, logger: quietLogger)
        let client = try await ProtooClient.start(url: "ws://127.0.0.1:\(port)/?\(query)", configuration: configuration)
        let log = EventLog()
        Task { for await event in client.events { await log.append(event) } }
        return Connected(client: client, log: log)
    }

    /// A client that is open (waits for the `open` event).
    static func openClient(port: Int, peerID: String, reconnect: ProtooClient.ReconnectPolicy? = fastRetries()) async throws -> Connected {
        let connected = try await client(port: port, query: "peerId=\(peerID)", reconnect: reconnect)
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

    /// A seed whose first timed fault under `faults` strikes connection 1 within `window` of its
    /// opening: late enough for the client's upgrade to finish, soon enough for a test.
    static func seed(firstFaultOf faults: ProxyFaults, within window: ClosedRange<Duration> = .milliseconds(400)...(.milliseconds(1500))) -> UInt64 {
        for seed in UInt64(1)... {
            var plan = ConnectionFaults(faults, seed: seed, connection: 1)
            plan.start(at: .zero)
            if let first = plan.nextEvent(), window.contains(first.at - .zero) { return seed }
        }
        fatalError("unreachable")
    }

    /// A loopback port nothing listens on (a server's, after it shut down).
    static func closedPort() async throws -> Int {
        let server = try await server(conformance)
        let port = server.port
        await server.shutdown()
        return port
    }
}

/// Collects notifications delivered on a client's loop.
final class NotificationBox: @unchecked Sendable { // guarded by `lock`
    private let lock = NSLock()
    private var items: [(String, JSONValue)] = []
    func append(_ method: String, _ data: JSONValue) { lock.withLock { items.append((method, data)) } }
    var all: [(String, JSONValue)] { lock.withLock { items } }
}

/// Records a tap's calls as short strings.
final class RecordingTap: TrafficTap, @unchecked Sendable { // called on the server loop, read by tests: guarded by `lock`
    private let lock = NSLock()
    private var log: [String] = []
    var entries: [String] { lock.withLock { log } }
    private func add(_ entry: String) { lock.withLock { log.append(entry) } }

    func connectionRequested(_ connection: ConnectionID, at time: Instant, target: String, headers: [(name: String, value: String)], remoteAddress: String) {
        add("requested \(connection) \(target)")
    }
    func connectionAccepted(_ connection: ConnectionID, at time: Instant) { add("accepted \(connection)") }
    func connectionRejected(_ connection: ConnectionID, at time: Instant, status: Int, reason: String) { add("rejected \(connection) \(status) \(reason)") }
    func messageReceived(_ connection: ConnectionID, at time: Instant, text: String) { add("in \(connection) \(text)") }
    func messageSent(_ connection: ConnectionID, at time: Instant, text: String) { add("out \(connection) \(text)") }
    func connectionClosed(_ connection: ConnectionID, at time: Instant, event: TransportCloseEvent) {
        add("closed \(connection) \(event.code.map(String.init) ?? "none") \(event.initiator)")
    }
}
