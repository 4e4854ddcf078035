import Logging

/// One protoo endpoint over one ``Transport``: sends and receives requests, responses and
/// notifications, and times out its own requests.
///
/// The server's peers are created by ``Room/createPeer(id:transport:)``; a client-side endpoint
/// (the Swift client, the simulator's clients) is a `Peer` with ``Configuration/client``.
/// Not `Sendable`: use it only on its context's scheduler.
public final class Peer {
    /// Timing rules.
    public struct Configuration: Sendable {
        /// Timeout = `timeoutUnit` × (15 + 0.1 × requests already pending).
        public var timeoutUnit: Duration
        /// What to answer when no request handler is set. `nil` reproduces protoo (never answer).
        public var unhandledRequestReply: (code: Int, reason: String)?

        public init(timeoutUnit: Duration, unhandledRequestReply: (code: Int, reason: String)? = (501, "no request handler")) {
            self.timeoutUnit = timeoutUnit
            self.unhandledRequestReply = unhandledRequestReply
        }

        /// protoo-server: 2000 ms unit (30 s + 200 ms per pending request).
        public static let server = Configuration(timeoutUnit: .milliseconds(2000))
        /// protoo-client: 1500 ms unit (22.5 s + 150 ms per pending request).
        public static let client = Configuration(timeoutUnit: .milliseconds(1500))

        /// The timeout of a request sent while `pending` others are pending.
        public func timeout(pending: Int) -> Duration {
            let unit = timeoutUnit.nanoseconds
            return .nanoseconds(unit * 15 + unit * Int64(pending) / 10)
        }
    }

    /// How ``Peer/close(_:)`` ends the connection.
    public enum CloseMode: Sendable, Hashable {
        /// Close frame 4000: a protoo-client does not reconnect.
        case protoo
        /// Close frame with another code: a protoo-client reconnects.
        case code(UInt16, reason: String)
        /// Drop the connection without a close frame.
        case drop
    }

    /// Why the peer closed, as its close handlers see it.
    public enum CloseCause: Sendable, Hashable {
        /// ``Peer/close(_:)`` was called (directly, by the room, or by the app).
        case local(CloseMode)
        /// The transport closed: the remote side or the network ended the connection.
        case transport(TransportCloseEvent)
    }

    public typealias RequestHandler = (IncomingRequest) throws -> Reply
    public typealias NotificationHandler = (IncomingNotification) -> Void
    public typealias CloseHandler = (CloseCause) -> Void

    struct Pending {
        var method: String
        var timer: TimerHandle
        var completion: Completion
    }

    /// What runs when a request completes: with the data parsed, or with the data left as bytes
    /// until read (``ResponseData``).
    enum Completion {
        case parsed((Result<JSONValue, ProtooError>) -> Void)
        case lazy((Result<ResponseData, ProtooError>) -> Void)

        func callAsFunction(_ result: Result<ResponseData, ProtooError>) {
            switch self {
            case .parsed(let body): body(result.map(\.value))
            case .lazy(let body): body(result)
            }
        }
    }

    // Stored in the order a message reads them (a class keeps its declaration order): receiving
    // one reads the flags and a handler, sending one the flag, the context and the transport, so
    // each touches one or two cache lines of the peer instead of three (at 10,000 simulated peers
    // little of them is in cache).
    /// (Unchecked exclusivity, here and on `pending`: a flag read on every message, set once,
    /// never across a call. With the checks, a peer's were 0.5 % of the CPU of `protoo simulate --rooms 100 --peers-per-room 10 --duration 300s`, by perf.)
    @exclusivity(unchecked) public private(set) var isClosed = false
    /// Whether debug lines are wanted, read from the logger once: asking a `Logger` its level
    /// copies its handler (retains and releases), too much for every message.
    private let logsDebug: Bool
    public let context: EngineContext
    private var notificationHandler: NotificationHandler?
    private var requestHandler: RequestHandler?
    /// Sees what the remote side sent against the protocol (`nil`: nobody watches).
    private var violationHandler: ((ProtocolViolation) -> Void)?
    /// The requests finished so far, kept only while ``violationHandler`` is set.
    private var finished: FinishedRequests?
    public let transport: any Transport
    /// Unchecked exclusivity: every update is a single insert or removal that runs no peer code
    /// (a removed entry is released after the access ends).
    @exclusivity(unchecked) private var pending: [RequestID: Pending] = [:]
    public let id: String
    public let configuration: Configuration
    /// The app's own per-peer state (protoo's `peer.data`).
    public var data: [String: Any] = [:]
    /// The room this peer belongs to. `unowned`: the room clears it in its `deinit` (a weak
    /// reference would give the room a side table and slow every retain of it).
    unowned var room: Room?
    private var closeHandlers: [CloseHandler] = []
    /// The context's logger (immutable there).
    private let logger: Logger
    /// Keeps a peer that sends junk from flooding the log (scheduler time: deterministic).
    private var logLimiter = LogLimiter<LogKind>()

    /// The warnings a remote peer can trigger at will, each limited on its own.
    private enum LogKind: Hashable, Sendable {
        case invalidMessage, unmatchedResponse, unhandledRequest

        var line: String {
            switch self {
            case .invalidMessage: "dropped invalid message"
            case .unmatchedResponse: "response does not match any pending request (late or unknown)"
            case .unhandledRequest: "request with no handler left unanswered"
            }
        }
    }

    /// Creates a peer on `transport`. If the transport is already closed the peer closes right away
    /// (its close handlers run on the next turn of the scheduler).
    public init(id: String, transport: any Transport, context: EngineContext, configuration: Configuration = .server) {
        self.id = id
        self.transport = transport
        self.context = context
        self.configuration = configuration
        self.logger = context.logger
        self.logsDebug = context.logger.logLevel <= .debug
        context.observer?.peerOpened()
        if transport.isClosed {
            isClosed = true
            context.scheduler.enqueue { [weak self] in
                self?.notifyClosed(.transport(TransportCloseEvent(code: nil, reason: "transport already closed", initiator: .network)))
            }
        } else {
            transport.delegate = self
        }
    }

    deinit {
        for p in pending.values { p.timer.cancel() }
    }

    /// The number of requests sent and still awaiting a response.
    public var pendingRequestCount: Int { pending.count }

    // MARK: Handlers

    /// Handles requests from the remote side. Return a ``Reply``; throw a ``ProtooError`` to answer
    /// with its code and reason; any other thrown error answers 500 with its text.
    public func onRequest(_ handler: @escaping RequestHandler) { requestHandler = handler }

    /// Handles notifications from the remote side. The notification's `data` is parsed only if
    /// the handler reads it.
    public func onNotification(_ handler: @escaping NotificationHandler) { notificationHandler = handler }

    /// Handles notifications from the remote side, with their data parsed.
    public func onNotification(_ handler: @escaping (_ method: String, _ data: JSONValue) -> Void) {
        notificationHandler = { handler($0.method, $0.data) }
    }

    /// Sees every protocol violation of the remote side this peer drops: invalid frames, and
    /// responses to unknown, already answered or timed-out requests (``ProtocolViolation``).
    /// Set it before sending requests: from then on the peer remembers its last 256 finished
    /// requests, and does not reuse their ids.
    public func onProtocolViolation(_ handler: @escaping (ProtocolViolation) -> Void) {
        violationHandler = handler
        if finished == nil { finished = FinishedRequests() }
    }

    /// Observes the close, which happens exactly once. Handlers run in registration order.
    public func onClose(_ handler: @escaping CloseHandler) { closeHandlers.append(handler) }

    // MARK: Sending

    /// Sends a request; `completion` runs exactly once, with the response data or a ``ProtooError``.
    /// Never runs synchronously inside this call.
    public func request(_ method: String, _ data: JSONValue = .emptyObject,
                        completion: @escaping (Result<JSONValue, ProtooError>) -> Void) {
        guard !isClosed else {
            context.scheduler.enqueue { completion(.failure(.peerClosed)) }
            return
        }
        let requestID = registerPending(method, completion: .parsed(completion))
        send(.request(id: requestID, method: method, data: data))
    }

    /// Sends a request; `completion` runs exactly once, with the response data left as bytes of
    /// the frame until read (a caller that only needs success or failure never parses it), or a
    /// ``ProtooError``. Otherwise like ``request(_:_:completion:)-(String,JSONValue,_)``.
    public func requestLazily(_ method: String, _ data: JSONValue = .emptyObject,
                              completion: @escaping (Result<ResponseData, ProtooError>) -> Void) {
        guard !isClosed else {
            context.scheduler.enqueue { completion(.failure(.peerClosed)) }
            return
        }
        let requestID = registerPending(method, completion: .lazy(completion))
        send(.request(id: requestID, method: method, data: data))
    }

    /// Draws a free request id and arms its timeout.
    private func registerPending(_ method: String, completion: Completion) -> RequestID {
        var requestID = context.random.nextRequestID()
        while pending[requestID] != nil || finished?.contains(requestID) == true { requestID = context.random.nextRequestID() }
        let timeout = configuration.timeout(pending: pending.count)
        // `unowned`: pending timers are cancelled on close and in deinit, so the peer outlives them.
        let timer = context.scheduler.schedule(after: timeout) { [unowned self] in
            self.timeoutFired(requestID)
        }
        pending[requestID] = Pending(method: method, timer: timer, completion: completion)
        if logsDebug { logger.debug("request()", metadata: ["peer": .untrusted(id), "method": .untrusted(method), "id": "\(requestID)"]) }
        return requestID
    }

    /// Sends a request whose data is already JSON text (see ``JSONText``); otherwise like
    /// ``request(_:_:completion:)-(String,JSONValue,_)``.
    public func request(_ method: String, _ data: JSONText,
                        completion: @escaping (Result<JSONValue, ProtooError>) -> Void) {
        sendRequest(method, data, .parsed(completion))
    }

    /// Sends a request whose data is already JSON text; otherwise like
    /// ``requestLazily(_:_:completion:)-(String,JSONValue,_)``.
    public func requestLazily(_ method: String, _ data: JSONText,
                              completion: @escaping (Result<ResponseData, ProtooError>) -> Void) {
        sendRequest(method, data, .lazy(completion))
    }

    private func sendRequest(_ method: String, _ data: JSONText, _ completion: Completion) {
        guard !isClosed else {
            context.scheduler.enqueue { completion(.failure(.peerClosed)) }
            return
        }
        let requestID = registerPending(method, completion: completion)
        guard !isClosed else { return }
        context.send(on: transport) { PreEncoded.request(id: requestID, method: method, data: data.bytes, into: &$0) }
    }

    /// Sends a notification whose data is already JSON text (see ``JSONText``).
    public func notify(_ method: String, _ data: JSONText) {
        guard !isClosed else { return }
        context.send(on: transport) { out in
            PreEncoded.notificationHead(method: method, into: &out)
            out.append(contentsOf: data.bytes)
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Sends a notification whose data `write` puts straight into the engine's encoding buffer
    /// (no ``JSONValue`` tree, no intermediate array). `write` must write exactly one JSON value.
    public func notify(_ method: String, writingData write: (inout JSONBuilder) -> Void) {
        guard !isClosed else { return }
        context.sendNotification(on: transport, method, write)
    }

    /// Sends a notification.
    public func notify(_ method: String, _ data: JSONValue = .emptyObject) {
        guard !isClosed else {
            logger.debug("notify() on closed peer ignored", metadata: ["peer": .untrusted(id), "method": .untrusted(method)])
            return
        }
        send(.notification(method: method, data: data))
    }

    /// Sends a notification encoded once with ``EncodedNotification`` (fan-out to many peers).
    public func notify(_ notification: EncodedNotification) {
        guard !isClosed else { return }
        transport.send(notification.text)
    }

    func send(_ message: Message) {
        guard !isClosed else { return }
        context.send(on: transport) { message.encode(into: &$0) }
    }

    // MARK: Closing

    /// Closes the peer: idempotent. Pending requests fail with ``ProtooError/peerClosed``, close
    /// handlers run once (the room forgets the peer first), then the transport is closed.
    public func close(_ mode: CloseMode = .protoo) {
        guard !isClosed else { return }
        isClosed = true
        logger.debug("close()", metadata: ["peer": .untrusted(id)])
        notifyClosed(.local(mode))
        switch mode {
        case .protoo: transport.close(code: CloseCode.protoo, reason: "closed by protoo-server")
        case .code(let code, let reason): transport.close(code: code, reason: reason)
        case .drop: transport.abort()
        }
    }

    private func notifyClosed(_ cause: CloseCause) {
        context.observer?.peerClosed()
        logSuppressedWarnings()
        let failed = pending
        pending.removeAll()
        // Fail in id order so the outcome does not depend on dictionary layout.
        for (_, p) in failed.sorted(by: { $0.key < $1.key }) {
            p.timer.cancel()
            p.completion(.failure(.peerClosed))
        }
        // The room forgets the peer first, so a reconnect with the same id is accepted right away.
        if let room {
            self.room = nil
            room.peerDidClose(self)
        }
        let handlers = closeHandlers
        closeHandlers.removeAll()
        for handler in handlers { handler(cause) }
        requestHandler = nil
        notificationHandler = nil
        violationHandler = nil
    }

    private func timeoutFired(_ requestID: RequestID) {
        guard let p = pending.removeValue(forKey: requestID) else { return }
        finished?.record(requestID, method: p.method, timedOut: true)
        logger.debug("request timeout", metadata: ["peer": .untrusted(id), "method": .untrusted(p.method), "id": "\(requestID)"])
        p.completion(.failure(.requestTimeout))
    }

    // MARK: Receiving

    func handle(_ message: consuming RawMessage) {
        // The data is moved out of the message, not copied (a retain and a release per message).
        var message = message
        let data = message.data.take()
        switch message.kind {
        case .request(let requestID, let method):
            let request = IncomingRequest(id: requestID, method: method, rawData: data, peer: self)
            if context.observer != nil { request.receivedAt = context.now }
            handleRequest(request)
        case .successResponse(let requestID):
            guard let p = takePending(requestID) else { return }
            p.completion(.success(ResponseData(raw: data)))
        case .errorResponse(let requestID, let code, let reason):
            guard let p = takePending(requestID) else { return }
            p.completion(.failure(.rejected(code: code, reason: reason)))
        case .notification(let method):
            context.observer?.notificationReceived(method: method)
            notificationHandler?(IncomingNotification(method: method, rawData: data))
        }
    }

    private func takePending(_ requestID: RequestID) -> Pending? {
        guard let p = pending.removeValue(forKey: requestID) else {
            warnLimited(.unmatchedResponse, ["peer": .untrusted(id), "id": "\(requestID)"])
            if let violationHandler {
                let known = finished?.lookup(requestID)
                let kind: ProtocolViolation.Kind = switch known?.timedOut {
                case nil: .unknownResponse
                case true?: .lateResponse
                case false?: .duplicateResponse
                }
                violationHandler(ProtocolViolation(kind: kind, requestID: requestID, detail: known?.method ?? ""))
            }
            return nil
        }
        p.timer.cancel()
        finished?.record(requestID, method: p.method, timedOut: false)
        return p
    }

    private func handleRequest(_ request: IncomingRequest) {
        guard let handler = requestHandler else {
            if let reply = configuration.unhandledRequestReply {
                request.reject(code: reply.code, reason: "\(reply.reason) [method:\(request.method)]")
            } else {
                warnLimited(.unhandledRequest, ["peer": .untrusted(id), "method": "\(request.method)"])
            }
            return
        }
        do {
            switch try handler(request) {
            case .accept(let data): request.accept(data)
            case .reject(let code, let reason): request.reject(code: code, reason: reason)
            case .deferred: break
            }
        } catch {
            request.reject(error)
        }
    }
}

extension Peer: TransportDelegate {
    public func transport(_ transport: any Transport, didReceive text: String) {
        guard !isClosed else { return }
        let message: RawMessage
        do {
            message = try RawMessage.decode(text)
        } catch {
            return dropInvalid(error, bytes: text.utf8.count)
        }
        if logsDebug { logReceived(bytes: text.utf8.count) }
        handle(message)
    }

    /// Decodes the bytes in place; a `String` is made only for a message whose data someone may
    /// read (a notification with no handler needs none).
    public func transport(_ transport: any Transport, didReceiveUTF8 bytes: UnsafeRawBufferPointer) {
        guard !isClosed else { return }
        let decoded: (RawMessage.Kind, Range<Int>?)
        do {
            decoded = try RawMessage.decode(bytes: bytes.assumingMemoryBound(to: UInt8.self))
        } catch {
            return dropInvalid(error, bytes: bytes.count)
        }
        if logsDebug { logReceived(bytes: bytes.count) }
        if case .notification(let method) = decoded.0, notificationHandler == nil {
            context.observer?.notificationReceived(method: method)
            return
        }
        // Byte ranges hold in the string only if it has the same bytes: invalid UTF-8 (which the
        // JSON grammar lets through inside strings) is repaired, and the text decoded again (its
        // structure is the bytes', so it decodes too).
        guard let text = String(validating: bytes, as: UTF8.self) else {
            guard let message = try? RawMessage.decode(String(decoding: bytes, as: UTF8.self)) else { return }
            return handle(message)
        }
        handle(RawMessage(kind: decoded.0, data: decoded.1.map { RawJSON(text: text, range: $0) }))
    }

    /// Logs a frame that is not a protoo message; protoo drops it and the connection lives.
    private func dropInvalid(_ error: MessageDecodingError, bytes: Int) {
        warnLimited(.invalidMessage, ["peer": .untrusted(id), "reason": .untrusted("\(error)"), "bytes": "\(bytes)"])
        violationHandler?(ProtocolViolation(kind: .invalidMessage, requestID: nil, detail: "\(error) (\(bytes) bytes)"))
    }

    /// Logs a warning the remote side can repeat at will: the first 5 of a kind, then one per
    /// 10 s of scheduler time carrying the count of those dropped in between.
    private func warnLimited(_ kind: LogKind, _ metadata: @autoclosure () -> Logger.Metadata) {
        if let floodGuard = context.floodGuard { return floodGuard.log(.warning, kind.line, metadata: metadata(), through: logger) }
        guard case .log(let suppressed) = logLimiter.admit(kind, at: context.scheduler.now) else { return }
        var metadata = metadata()
        if suppressed > 0 { metadata["suppressed"] = "\(suppressed)" }
        logger.warning("\(kind.line)", metadata: metadata)
    }

    /// One line per kind of warning dropped since its last logged one, when the peer closes.
    private func logSuppressedWarnings() {
        for (kind, count) in logLimiter.takeSuppressed() {
            logger.warning("\(kind.line): \(count) more not logged", metadata: ["peer": .untrusted(id), "suppressed": "\(count)"])
        }
    }

    private func logReceived(bytes: Int) {
        logger.debug("received", metadata: ["peer": .untrusted(id), "bytes": "\(bytes)"])
    }

    public func transport(_ transport: any Transport, didClose event: TransportCloseEvent) {
        guard !isClosed else { return }
        isClosed = true
        logger.debug("transport closed", metadata: ["peer": .untrusted(id), "code": "\(event.code.map(String.init) ?? "-")", "by": "\(event.initiator.rawValue)"])
        notifyClosed(.transport(event))
    }
}
