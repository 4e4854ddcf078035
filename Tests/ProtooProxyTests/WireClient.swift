import Foundation
import NIOCore
import NIOPosix
import Protoo
import ProtooClient
import ProtooTestSupport
import ProtooWebSocket
import Testing

/// One raw WebSocket connection with subprotocol `protoo` and no protoo logic: what it receives
/// and how it closed, for wire-level checks through the proxy.
final class WireClient: TransportDelegate, @unchecked Sendable { // `connection` is used on `loop` only; the logs are guarded by `lock`
    enum Dialed: Sendable {
        case opened(WireClient)
        case refused(status: Int, reason: String)
        case failed(String)

        var client: WireClient? { if case .opened(let c) = self { c } else { nil } }
    }

    private let connection: WebSocketConnection
    private let loop: any EventLoop
    private let lock = NSLock()
    private var received: [String] = []
    private var closed: TransportCloseEvent?

    private init(_ connection: WebSocketConnection, loop: any EventLoop) {
        self.connection = connection
        self.loop = loop
    }

    /// Dials `url` with `headers`.
    static func dial(_ url: String, headers: [(name: String, value: String)] = []) async throws -> Dialed {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let parsed = try WebSocketURL(url)
        return try await loop.flatSubmit {
            let promise = loop.makePromise(of: Dialed.self)
            var options = WebSocketDialer.Options()
            options.headers = headers
            options.limits = ProtooClient.defaultLimits
            WebSocketDialer.dial(parsed, options: options, eventLoop: loop) { outcome in
                switch outcome {
                case .opened(let connection):
                    let client = WireClient(connection, loop: loop)
                    connection.delegate = client
                    promise.succeed(.opened(client))
                case .refused(let status, let reason): promise.succeed(.refused(status: status, reason: reason))
                case .failed(let reason): promise.succeed(.failed(reason))
                }
            }
            return promise.futureResult
        }.get()
    }

    var messages: [String] { lock.withLock { received } }
    var closeEvent: TransportCloseEvent? { lock.withLock { closed } }

    func send(_ text: String) { loop.execute { self.connection.send(text) } }
    func close(code: UInt16, reason: String) { loop.execute { self.connection.close(code: code, reason: reason) } }
    func abort() { loop.execute { self.connection.abort() } }

    /// Waits until `count` messages arrived; returns them.
    func waitForMessages(_ count: Int, timeout: Duration = .seconds(20)) async throws -> [String] {
        try await waitUntil("\(count) messages (have \(messages.count))", timeout: timeout) { messages.count >= count }
        return messages
    }

    /// Waits for the close.
    func waitForClose(timeout: Duration = .seconds(20)) async throws -> TransportCloseEvent {
        try await waitUntil("close", timeout: timeout) { closeEvent != nil }
        return closeEvent!
    }

    func transport(_ transport: any Transport, didReceive text: String) { lock.withLock { received.append(text) } }
    func transport(_ transport: any Transport, didClose event: TransportCloseEvent) { lock.withLock { closed = event } }
}
