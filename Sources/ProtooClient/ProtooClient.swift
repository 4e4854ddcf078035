import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Protoo
@_exported import ProtooWebSocketCore

/// A protoo client (like JavaScript protoo-client's `Peer`) on its own NIO event loop.
///
/// ```swift
/// let client = try await ProtooClient.start(url: "ws://127.0.0.1:4443/?peerId=alice")
/// for await event in client.events { if event == .open { break } }
/// let answer = try await client.request("echo", ["hello": "world"])
/// await client.close()
/// ```
/// It connects right away and reconnects like protoo-client (see ``ReconnectPolicy``). Requests
/// made while not connected throw ``ProtooClientError/notConnected``; requests pending across a
/// reconnection keep waiting for their response or timeout, as in protoo-client.
public final class ProtooClient: Sendable {
    /// Connection events, in order; finishes after ``Event/close``. Consume it from one task.
    public let events: AsyncStream<Event>
    /// The loop that runs the connection and the engine peer.
    public let eventLoop: any EventLoop
    /// The client's own one-thread group; `nil` when it runs on ``Configuration/eventLoopGroup``.
    private let ownedGroup: MultiThreadedEventLoopGroup?
    let core: NIOLoopBound<ClientCore>

    private init(events: AsyncStream<Event>, ownedGroup: MultiThreadedEventLoopGroup?, core: NIOLoopBound<ClientCore>) {
        self.events = events
        self.ownedGroup = ownedGroup
        self.eventLoop = core.eventLoop
        self.core = core
    }

    deinit {
        ownedGroup?.shutdownGracefully { _ in }
    }

    /// Starts connecting to `url` (`ws://` or `wss://`); returns at once, watch ``events``.
    /// - Throws: ``ProtooClientError/invalidURL(_:)``, or a TLS configuration error for `wss://`.
    public static func start(url: String, configuration: Configuration = Configuration()) async throws -> ProtooClient {
        let parsed: WebSocketURL
        do { parsed = try WebSocketURL(url) } catch { throw ProtooClientError.invalidURL(url) }
        let ssl = parsed.secure ? try NIOSSLContext(configuration: configuration.tls ?? .makeClientConfiguration()) : nil
        let (events, continuation) = AsyncStream.makeStream(of: Event.self)
        let ownedGroup = configuration.eventLoopGroup == nil ? MultiThreadedEventLoopGroup(numberOfThreads: 1) : nil
        let loop = (configuration.eventLoopGroup ?? ownedGroup)?.next() ?? MultiThreadedEventLoopGroup.singleton.next()
        let core = try await loop.submit {
            let core = ClientCore(url: parsed, configuration: configuration, eventLoop: loop, sslContext: ssl,
                                  emit: { continuation.yield($0) }, finishEvents: { continuation.finish() })
            core.start()
            return NIOLoopBound(core, eventLoop: loop)
        }.get()
        return ProtooClient(events: events, ownedGroup: ownedGroup, core: core)
    }

    /// Sends a request and returns the response's data.
    /// - Throws: `ProtooError` (`.rejected(code:reason:)` for an error response, `.requestTimeout`,
    ///   `.peerClosed`) or ``ProtooClientError`` (`.notConnected`, `.closed`).
    public func request(_ method: String, _ data: JSONValue = .emptyObject) async throws -> JSONValue {
        let core = self.core
        return try await withCheckedThrowingContinuation { continuation in
            core.eventLoop.execute {
                core.value.request(method, data) { continuation.resume(with: $0) }
            }
        }
    }

    /// Sends a notification.
    /// - Throws: ``ProtooClientError`` when not connected or closed.
    public func notify(_ method: String, _ data: JSONValue = .emptyObject) async throws {
        let core = self.core
        try await eventLoop.submit { try core.value.notify(method, data) }.get()
    }

    /// Answers the server's requests: return the response data, throw `ProtooError.rejected(code:reason:)`
    /// for an error response (any other error answers 500 with its text). Set it right after ``start(url:configuration:)``.
    public func onRequest(_ handler: @escaping @Sendable (_ method: String, _ data: JSONValue) async throws -> JSONValue) async {
        let core = self.core
        let loop = eventLoop
        try? await eventLoop.submit { [weak self] in
            core.value.peer?.onRequest { [weak self] request in
                guard let self else { return .reject(code: 500, reason: "client gone") }
                let pending = NIOLoopBound(request, eventLoop: loop)
                let method = request.method, data = request.data
                // The handler runs off the loop; only the answer comes back to the engine, on the loop.
                // The task keeps the client (and so its loop) alive until the answer is handed over.
                Task { [self] in
                    let result: Result<JSONValue, any Error>
                    do { result = .success(try await handler(method, data)) } catch { result = .failure(error) }
                    self.eventLoop.execute {
                        switch result {
                        case .success(let data): pending.value.accept(data)
                        case .failure(let error): pending.value.reject(error)
                        }
                    }
                }
                return .deferred
            }
        }.get()
    }

    /// Receives the server's notifications (on the client's event loop: return quickly).
    public func onNotification(_ handler: @escaping @Sendable (_ method: String, _ data: JSONValue) -> Void) async {
        let core = self.core
        try? await eventLoop.submit {
            core.value.peer?.onNotification { method, data in handler(method, data) }
        }.get()
    }

    /// Closes for good (close frame 1000, no reconnection); pending requests fail with `peerClosed`.
    /// Returns once the connection is closed. Idempotent.
    public func close() async {
        let core = self.core
        try? await eventLoop.flatSubmit { core.value.closeClient() }.get()
    }
}
