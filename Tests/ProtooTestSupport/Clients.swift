import Foundation
import Protoo
import ProtooClient
import ProtooWebSocket
import Testing

/// Collects a client's events as they arrive, and whether the stream ended (it ends after
/// `close`: nothing can follow).
public actor ClientEventLog {
    public private(set) var events: [ProtooClient.Event] = []
    /// The event stream finished: the client is closed for good, no reconnection can follow.
    public private(set) var finished = false
    public init() {}
    public func append(_ event: ProtooClient.Event) { events.append(event) }
    public func finish() { finished = true }
    public func count(of event: ProtooClient.Event) -> Int { events.filter { $0 == event }.count }
}

/// A client and the log of its events.
public struct Connected: Sendable {
    public let client: ProtooClient
    public let log: ClientEventLog
}

extension Harness {
    /// Fast retries so reconnection tests take milliseconds.
    public static func fastRetries(_ retries: Int = 10) -> ProtooClient.ReconnectPolicy {
        .init(retries: retries, factor: 2, minDelay: .milliseconds(20), maxDelay: .milliseconds(80))
    }

    /// A client of `ws://127.0.0.1:PORT/?QUERY`, its events logged; does not wait for it to open.
    public static func client(port: Int, query: String, reconnect: ProtooClient.ReconnectPolicy? = fastRetries()) async throws -> Connected {
        let configuration = ProtooClient.Configuration(reconnect: reconnect, logger: quietLogger)
        let client = try await ProtooClient.start(url: "ws://127.0.0.1:\(port)/?\(query)", configuration: configuration)
        let log = ClientEventLog()
        Task {
            for await event in client.events { await log.append(event) }
            await log.finish()
        }
        return Connected(client: client, log: log)
    }

    /// A client that is open (waits for the `open` event).
    public static func openClient(port: Int, peerID: String, reconnect: ProtooClient.ReconnectPolicy? = fastRetries()) async throws -> Connected {
        let connected = try await client(port: port, query: "peerId=\(peerID)", reconnect: reconnect)
        try await waitUntil("\(peerID) open") { await connected.log.events.contains(.open) }
        return connected
    }

    /// ``client(port:query:reconnect:)`` of `server`.
    public static func client(_ server: ProtooServer, query: String, reconnect: ProtooClient.ReconnectPolicy? = fastRetries()) async throws -> Connected {
        try await client(port: server.port, query: query, reconnect: reconnect)
    }

    /// ``openClient(port:peerID:reconnect:)`` of `server`.
    public static func openClient(_ server: ProtooServer, peerID: String, reconnect: ProtooClient.ReconnectPolicy? = fastRetries()) async throws -> Connected {
        try await openClient(port: server.port, peerID: peerID, reconnect: reconnect)
    }

    /// The peers in the conformance room, as the server reports them.
    public static func roomPeers(_ client: ProtooClient) async throws -> [String] {
        let data = try await client.request("roomPeers")
        return (data["peers"]?.arrayValue ?? []).compactMap(\.stringValue).sorted()
    }
}

/// Collects notifications delivered on a client's loop.
public final class NotificationBox: @unchecked Sendable { // guarded by `lock`
    private let lock = NSLock()
    private var items: [(String, JSONValue)] = []
    public init() {}
    public func append(_ method: String, _ data: JSONValue) { lock.withLock { items.append((method, data)) } }
    public var all: [(String, JSONValue)] { lock.withLock { items } }
}

/// Records a tap's calls as short strings (`requested 1 /?peerId=a`, `in 1 {…}`, `closed 1 1000 remote`).
public final class RecordingTap: TrafficTap, @unchecked Sendable { // called on the server loop, read by tests: guarded by `lock`
    private let lock = NSLock()
    private var log: [String] = []
    public init() {}
    public var entries: [String] { lock.withLock { log } }
    private func add(_ entry: String) { lock.withLock { log.append(entry) } }

    public func connectionRequested(_ connection: ConnectionID, at time: Instant, target: String, headers: [(name: String, value: String)], remoteAddress: String) {
        add("requested \(connection) \(target)")
    }
    public func connectionAccepted(_ connection: ConnectionID, at time: Instant) { add("accepted \(connection)") }
    public func connectionRejected(_ connection: ConnectionID, at time: Instant, status: Int, reason: String) { add("rejected \(connection) \(status) \(reason)") }
    public func messageReceived(_ connection: ConnectionID, at time: Instant, text: String) { add("in \(connection) \(text)") }
    public func messageSent(_ connection: ConnectionID, at time: Instant, text: String) { add("out \(connection) \(text)") }
    public func connectionClosed(_ connection: ConnectionID, at time: Instant, event: TransportCloseEvent) {
        add("closed \(connection) \(event.code.map(String.init) ?? "none") \(event.initiator.rawValue)")
    }
}

/// Passes every call on to `inner` (a trace recorder, say) and counts the connections it has seen
/// open and closed: a test waits for ``open`` to reach zero to know every close is recorded,
/// instead of sleeping and hoping.
public final class CountingTap: TrafficTap, @unchecked Sendable { // called on the server loop, read by tests: guarded by `lock`
    private let inner: (any TrafficTap & Sendable)?
    private let lock = NSLock()
    private var accepted = 0, closed = 0

    public init(_ inner: (any TrafficTap & Sendable)?) { self.inner = inner }

    /// Connections accepted and not closed yet.
    public var open: Int { lock.withLock { accepted - closed } }
    /// Connections closed so far.
    public var closes: Int { lock.withLock { closed } }

    public func connectionRequested(_ connection: ConnectionID, at time: Instant, target: String, headers: [(name: String, value: String)], remoteAddress: String) {
        inner?.connectionRequested(connection, at: time, target: target, headers: headers, remoteAddress: remoteAddress)
    }
    public func connectionAccepted(_ connection: ConnectionID, at time: Instant) {
        inner?.connectionAccepted(connection, at: time)
        lock.withLock { accepted += 1 }
    }
    public func connectionRejected(_ connection: ConnectionID, at time: Instant, status: Int, reason: String) {
        inner?.connectionRejected(connection, at: time, status: status, reason: reason)
    }
    public func messageReceived(_ connection: ConnectionID, at time: Instant, text: String) { inner?.messageReceived(connection, at: time, text: text) }
    public func messageSent(_ connection: ConnectionID, at time: Instant, text: String) { inner?.messageSent(connection, at: time, text: text) }
    public func connectionClosed(_ connection: ConnectionID, at time: Instant, event: TransportCloseEvent) {
        inner?.connectionClosed(connection, at: time, event: event)
        lock.withLock { closed += 1 }
    }
}
