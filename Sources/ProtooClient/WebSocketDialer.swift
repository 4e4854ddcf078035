import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import Protoo
import ProtooWebSocketCore

/// Opens one WebSocket connection with the `protoo` subprotocol and reports how the upgrade went:
/// the one connection attempt under ``ProtooClient``'s reconnecting transport, the proxy's upstream
/// side and live replay's clients. Call on `eventLoop`; `completion` runs there, once.
package enum WebSocketDialer {
    package enum Outcome {
        /// Upgraded: the connection is installed. Set its delegate inside the completion (no
        /// message is delivered before it returns).
        case opened(WebSocketConnection)
        /// The server answered the upgrade with another status (`reason`: its
        /// `X-WebSocket-Reject-Reason` header, else the status's phrase), or chose no `protoo`.
        case refused(status: Int, reason: String)
        /// No connection (refused, unreachable, timed out) or closed before the upgrade.
        case failed(String)
    }

    package struct Options {
        package var headers: [(name: String, value: String)] = []
        package var limits = WebSocketLimits()
        package var connectTimeout: Duration = .seconds(10)
        package var sslContext: NIOSSLContext?
        package var logger = Logger(label: "protoo.dialer")
        /// The limit on lines many connections would each write (the proxy's upstream side shares its server's).
        package var floodGuard: LogFloodGuard?
        package init() {}
    }

    package static func dial(_ url: WebSocketURL, options: Options, eventLoop: any EventLoop,
                             channelCreated: ((any Channel) -> Void)? = nil,
                             completion: @escaping (Outcome) -> Void) {
        let attempt = NIOLoopBound(DialAttempt(completion: completion), eventLoop: eventLoop)
        // One deadline for the whole dial: TCP connect, TLS and the upgrade answer (a server that
        // accepts TCP and never answers must not hold a client forever).
        let deadline = NIODeadline.now() + .nanoseconds(options.connectTimeout.nanoseconds)
        let connection = WebSocketConnection(role: .client, limits: options.limits, eventLoop: eventLoop, logger: options.logger,
                                             floodGuard: options.floodGuard)
        let head = upgradeRequest(url, headers: options.headers)
        let boundConnection = NIOLoopBound(connection, eventLoop: eventLoop)
        let ssl = options.sslContext
        let serverName = url.hostIsIPAddress ? nil : url.host
        let maxFrameSize = options.limits.maxFrameSize
        ClientBootstrap(group: eventLoop)
            .connectTimeout(.nanoseconds(options.connectTimeout.nanoseconds))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try addHandlers(to: channel, ssl: ssl, serverName: serverName, head: head, maxFrameSize: maxFrameSize,
                                    connection: boundConnection, attempt: attempt)
                }
            }
            .connect(host: url.host, port: url.port)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    channelCreated?(channel)
                    watch(channel, until: deadline, timeout: options.connectTimeout, attempt: attempt.value)
                case .failure(let error):
                    attempt.value.finish(.failed("\(error)"))
                }
            }
    }

    /// The upgrade request: `GET target` offering the `protoo` subprotocol, with the caller's headers.
    static func upgradeRequest(_ url: WebSocketURL, headers extra: [(name: String, value: String)]) -> HTTPRequestHead {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: url.hostHeader)
        headers.add(name: "Sec-WebSocket-Protocol", value: "protoo")
        headers.add(name: "Content-Length", value: "0")
        for header in extra { headers.add(name: header.name, value: header.value) }
        return HTTPRequestHead(version: .http1_1, method: .GET, uri: url.target, headers: headers)
    }

    /// The client pipeline: TLS if asked, HTTP with the WebSocket upgrader, and the handler that
    /// sends the request and reports a refusal. A 101 without `protoo`, or a channel closed while
    /// the upgrade completed, fails the attempt; otherwise the connection is installed.
    private static func addHandlers(to channel: any Channel, ssl: NIOSSLContext?, serverName: String?, head: HTTPRequestHead,
                                    maxFrameSize: Int, connection: NIOLoopBound<WebSocketConnection>,
                                    attempt: NIOLoopBound<DialAttempt>) throws {
        let sync = channel.pipeline.syncOperations
        if let ssl { try sync.addHandler(NIOSSLClientHandler(context: ssl, serverHostname: serverName)) }
        let requestHandler = UpgradeRequestHandler(head: head) { status, reason in
            attempt.value.finish(.refused(status: status, reason: reason))
        }
        let boundRequestHandler = NIOLoopBound(requestHandler, eventLoop: channel.eventLoop)
        let upgrader = NIOWebSocketClientUpgrader(maxFrameSize: maxFrameSize, automaticErrorHandling: false) { channel, response in
            channel.eventLoop.makeCompletedFuture {
                let selected = response.headers.first(name: "Sec-WebSocket-Protocol")?.lowercased()
                guard selected == "protoo" else {
                    attempt.value.finish(.refused(status: 101, reason: "server did not select subprotocol protoo"))
                    channel.close(promise: nil)
                    return
                }
                // Closed while the upgrade finished (a server dropping right after its 101):
                // its channelInactive went by, a connection added now would never hear of it.
                guard channel.isActive else {
                    attempt.value.finish(.failed("connection closed during the upgrade"))
                    return
                }
                let sync = channel.pipeline.syncOperations
                sync.removeHandler(boundRequestHandler.value, promise: nil)
                try connection.value.install(in: sync)
                attempt.value.finish(.opened(connection.value))
            }
        }
        // Forward, not drop, bytes that came in the same read as the 101: a server that
        // speaks first (a greeting notification) sends its first frame right behind it.
        try sync.addHTTPClientHandlers(leftOverBytesStrategy: .forwardBytes,
                                       withClientUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
        try sync.addHandler(requestHandler)
    }

    /// Once connected: fails the attempt if no upgrade answer came by `deadline`, or if the
    /// channel closes before the WebSocket opened.
    private static func watch(_ channel: any Channel, until deadline: NIODeadline, timeout: Duration, attempt: DialAttempt) {
        let timer = channel.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            guard !attempt.isFinished else { return }
            attempt.finish(.failed("no answer to the WebSocket upgrade within \(timeout)"))
            channel.close(promise: nil)
        }
        channel.closeFuture.assumeIsolated().whenComplete { _ in
            timer.cancel()
            attempt.finish(.failed("connection closed before the WebSocket opened"))
        }
    }
}

/// One dial's completion, called once.
private final class DialAttempt {
    private let completion: (WebSocketDialer.Outcome) -> Void
    private(set) var isFinished = false

    init(completion: @escaping (WebSocketDialer.Outcome) -> Void) { self.completion = completion }

    func finish(_ outcome: WebSocketDialer.Outcome) {
        guard !isFinished else { return }
        isFinished = true
        completion(outcome)
    }
}
