import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import Protoo
import ProtooWebSocketCore

/// The client's state on its event loop: the engine `Peer` and, under it, a reconnecting
/// ``Transport`` that runs WebSocket attempts like protoo-client's `WebSocketTransport`.
/// Not `Sendable`: reached through `NIOLoopBound`.
final class ClientCore: Transport, TransportDelegate {
    weak var delegate: (any TransportDelegate)?
    private(set) var isClosed = false
    private(set) var peer: Peer?
    let context: EngineContext
    private let url: WebSocketURL
    private let configuration: ProtooClient.Configuration
    private let eventLoop: any EventLoop
    private let sslContext: NIOSSLContext?
    private let emit: (ProtooClient.Event) -> Void
    private let finishEvents: () -> Void
    private var logger: Logger { configuration.logger }

    /// Attempt number within the current retry sequence (1-based).
    private var attempt = 1
    /// Identifies the current attempt; callbacks of older ones are ignored.
    private var generation = 0
    private var channel: (any Channel)?
    private var connection: WebSocketConnection?
    private var isOpen = false
    private var retryTask: Scheduled<Void>?

    init(url: WebSocketURL, configuration: ProtooClient.Configuration, eventLoop: any EventLoop, sslContext: NIOSSLContext?,
         emit: @escaping (ProtooClient.Event) -> Void, finishEvents: @escaping () -> Void) {
        self.url = url
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.sslContext = sslContext
        self.emit = emit
        self.finishEvents = finishEvents
        let random = configuration.randomSeed.map { SeededRandom(seed: $0) } ?? .fromSystemEntropy()
        context = EngineContext(scheduler: NIOEventLoopScheduler(eventLoop: eventLoop), random: random, logger: configuration.logger)
    }

    /// Creates the peer and starts the first attempt.
    func start() {
        peer = Peer(id: "client", transport: self, context: context, configuration: configuration.peer)
        connect()
    }

    // MARK: Requests

    func request(_ method: String, _ data: JSONValue, completion: @escaping (Result<JSONValue, any Error>) -> Void) {
        guard !isClosed, let peer else { return completion(.failure(ProtooClientError.closed)) }
        guard isOpen else { return completion(.failure(ProtooClientError.notConnected)) }
        peer.request(method, data) { completion($0.mapError { $0 }) }
    }

    func notify(_ method: String, _ data: JSONValue) throws(ProtooClientError) {
        guard !isClosed, let peer else { throw .closed }
        guard isOpen else { throw .notConnected }
        peer.notify(method, data)
    }

    /// Closes for good; the future completes once the TCP connection is closed.
    func closeClient() -> EventLoopFuture<Void> {
        let closing = channel
        peer?.close(.code(CloseCode.normal, reason: "closed by client"))
        close(code: CloseCode.normal, reason: "closed by client")
        return closing?.closeFuture ?? eventLoop.makeSucceededVoidFuture()
    }

    // MARK: Transport (under the peer)

    func send(_ text: String) {
        guard !isClosed, isOpen, let connection else {
            logger.debug("message not sent: not connected")
            return
        }
        connection.send(text)
    }

    func send(utf8: UnsafeRawBufferPointer) {
        guard !isClosed, isOpen, let connection else {
            logger.debug("message not sent: not connected")
            return
        }
        connection.send(utf8: utf8)
    }

    func close(code: UInt16, reason: String) {
        guard !isClosed else { return }
        finish(emitting: true) {
            if let connection = self.connection, !connection.isClosed {
                connection.close(code: code, reason: reason)
            } else {
                self.channel?.close(promise: nil)
            }
        }
    }

    func abort() {
        guard !isClosed else { return }
        finish(emitting: true) {
            if let connection = self.connection { connection.abort() } else { self.channel?.close(promise: nil) }
        }
    }

    // MARK: Attempts

    private func connect() {
        generation += 1
        let generation = self.generation
        isOpen = false
        self.connection = nil
        self.channel = nil
        logger.debug("connecting", metadata: ["attempt": "\(attempt)", "host": "\(url.host)", "port": "\(url.port)"])

        var options = WebSocketDialer.Options()
        options.headers = configuration.headers.map { ($0.name, $0.value) }
        options.limits = configuration.limits
        options.connectTimeout = configuration.connectTimeout
        options.sslContext = sslContext
        options.logger = logger
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        WebSocketDialer.dial(url, options: options, eventLoop: eventLoop, channelCreated: { channel in
            let core = bound.value
            guard core.generation == generation, !core.isClosed else { return channel.close(promise: nil) }
            core.channel = channel
        }, completion: { outcome in
            let core = bound.value
            switch outcome {
            case .opened(let connection):
                guard core.generation == generation, !core.isClosed else { return connection.abort() }
                connection.delegate = core
                core.connection = connection
                core.opened(generation)
            case .refused(let status, let reason):
                core.refused(generation, status: status, reason: reason)
                core.attemptFailed(generation, reason: "refused: \(status) \(reason)")
            case .failed(let reason):
                core.attemptFailed(generation, reason: reason)
            }
        })
    }

    private func refused(_ generation: Int, status: Int, reason: String) {
        guard generation == self.generation else { return }
        logger.warning("connection refused by the server", metadata: ["attempt": "\(attempt)", "status": "\(status)", "reason": .untrusted(reason)])
    }

    private func opened(_ generation: Int) {
        guard generation == self.generation, !isClosed else { return }
        isOpen = true
        logger.debug("open", metadata: ["attempt": "\(attempt)"])
        emit(.open)
    }

    private func attemptFailed(_ generation: Int, reason: String) {
        guard generation == self.generation, !isClosed, !isOpen else { return }
        self.generation += 1 // ignore anything else this attempt reports
        logger.info("attempt failed", metadata: ["attempt": "\(attempt)", "reason": .untrusted(reason)])
        emit(.failed(attempt: attempt))
        guard !isClosed else { return }
        guard let policy = configuration.reconnect, attempt <= policy.retries else {
            return finish(emitting: true) {}
        }
        let delay = policy.delay(afterAttempt: attempt)
        attempt += 1
        retryTask = eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(delay.nanoseconds)) { [weak self] in
            guard let self, !self.isClosed else { return }
            self.connect()
        }
    }

    // MARK: TransportDelegate (the current WebSocket)

    func transport(_ transport: any Transport, didReceive text: String) {
        guard transport === connection, !isClosed else { return }
        delegate?.transport(self, didReceive: text)
    }

    func transport(_ transport: any Transport, didClose event: TransportCloseEvent) {
        guard transport === connection, !isClosed, isOpen else { return }
        isOpen = false
        generation += 1
        if event.code == CloseCode.protoo {
            logger.info("closed by the server (4000)")
            return finish(emitting: true) {}
        }
        logger.info("disconnected", metadata: ["code": "\(event.code.map(String.init) ?? "-")", "reason": .untrusted(event.reason)])
        emit(.disconnected)
        guard !isClosed else { return }
        guard configuration.reconnect != nil else { return finish(emitting: true) {} }
        attempt = 1
        connect()
    }

    /// Ends everything once: stops retries, runs `closeIO`, emits `close`, tells the peer.
    private func finish(emitting: Bool, _ closeIO: () -> Void) {
        guard !isClosed else { return }
        isClosed = true
        isOpen = false
        retryTask?.cancel()
        retryTask = nil
        closeIO()
        if emitting { emit(.close) }
        finishEvents()
        let peer = self.peer
        let event = TransportCloseEvent(code: nil, reason: "client closed", initiator: .local)
        eventLoop.assumeIsolated().execute { [weak self] in
            guard let self else { return }
            peer?.transport(self, didClose: event)
            self.peer = nil
        }
    }
}
