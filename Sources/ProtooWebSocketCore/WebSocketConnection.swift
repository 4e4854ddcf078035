import Logging
import NIOCore
import NIOWebSocket
import Protoo

/// One WebSocket connection as an engine ``Transport``, and the channel handler that drives it.
///
/// It is created before the upgrade completes (the app accepts first), buffers what the engine sends
/// until ``handlerAdded(context:)``, then: reads frames from raw bytes (``WebSocketFrameCodec``),
/// reassembles fragmented text messages, ignores binary messages, answers pings, sends keep-alive
/// pings, fragments outgoing messages, enforces ``WebSocketLimits``, and runs the close handshake.
/// A server connection also refuses unmasked frames (1002); both sides refuse text that is not
/// UTF-8 (1007) and invalid close frames (1002). After failing a connection this way it stops
/// reading, and closes TCP (FIN) once its close frame is out.
/// Outgoing frames are appended to one buffer that is written and flushed once per read batch or
/// loop turn. Close events reach the delegate on a later turn of the event loop, never inside
/// `send`/`close`/`abort`, and at most once.
///
/// Not `Sendable`: lives on its channel's event loop, like the engine.
package final class WebSocketConnection: ChannelInboundHandler, Transport {
    package typealias InboundIn = ByteBuffer
    package typealias OutboundOut = ByteBuffer

    /// Which side of the connection this is: a client masks its frames.
    package enum Role: Sendable { case server, client }

    private enum State {
        /// Not attached to a channel yet: sends are buffered, a close is remembered.
        case pending(buffered: [String], close: (code: UInt16, reason: String)?)
        /// Attached and open.
        case open(ChannelHandlerContext)
        /// Close frame sent; waiting for the remote's close frame (or the timeout) to close TCP.
        case closing(ChannelHandlerContext)
        /// Finished (or closed before attaching).
        case closed
    }

    /// Held until the close is delivered (see ``Transport``): an open connection keeps its peer.
    package var delegate: (any TransportDelegate)?
    package let role: Role
    package let limits: WebSocketLimits
    package let eventLoop: any EventLoop
    private var logger: Logger
    private var state: State = .pending(buffered: [], close: nil)
    /// `true` once the engine must no longer use it: closed by either side.
    package private(set) var isClosed = false
    private var closeReported = false

    // Inbound: bytes of a frame not complete yet, and message reassembly.
    private var partialFrame: ByteBuffer?
    private var assembling: [UInt8]?
    private var skippingBinary = false
    // Outbound: frames written since the last flush.
    private var outbound: ByteBuffer?
    // Flush coalescing: writes made while reading are flushed once at `channelReadComplete`;
    // others once at the end of the event loop's current turn. Fewer write system calls.
    private var readingBatch = false
    private var flushPending = false
    // Keep-alive. Timers hold the connection strongly and are cancelled when it ends (a weak
    // reference would move this object's reference counting to its slow side-table path).
    private var receivedSinceCheck = false
    private var keepAliveTask: Scheduled<Void>?
    private var awaitingPong = false
    private var closeTimeoutTask: Scheduled<Void>?
    /// Set once the connection failed (protocol error or limit): later input is dropped unread.
    private var discardingInput = false
    /// The server-wide cap on bytes of unfinished messages (servers only), and what was last reported to it.
    private let partialMessageBudget: PartialMessageBudget?
    private var reportedPartialBytes = 0
    /// Keeps a remote that repeats a loggable event (binary frames) from flooding the log.
    private var logLimiter = LogLimiter<String>()
    /// The server-wide limit on lines every connection could write (a server's connections share it).
    private let floodGuard: LogFloodGuard?
    /// The server-wide cap on unsent bytes, and what this connection last reported to it.
    private let outboundBudget: OutboundBudget?
    private var reportedOutbound = 0
    /// While the socket holds unsent bytes: the next check, and when they last decreased.
    private var drainWatch: Scheduled<Void>?
    private var lastDrained = NIODeadline.now()
    /// Pings sent by ``ping(then:)`` and not answered yet, oldest first, with their tokens.
    private var pingWaiters: [(token: UInt64, done: () -> Void)] = []
    private var nextPingToken: UInt64 = 0

    /// A connection; a server's connections share the server's `partialMessageBudget`.
    package init(role: Role, limits: WebSocketLimits, eventLoop: any EventLoop, logger: Logger,
                 partialMessageBudget: PartialMessageBudget? = nil, floodGuard: LogFloodGuard? = nil,
                 outboundBudget: OutboundBudget? = nil) {
        self.floodGuard = floodGuard
        self.outboundBudget = outboundBudget
        self.role = role
        self.limits = limits
        self.eventLoop = eventLoop
        self.logger = logger
        self.partialMessageBudget = partialMessageBudget
    }


    // MARK: Transport

    package func send(_ text: String) {
        guard !isClosed else { return }
        switch state {
        case .pending(var buffered, let close):
            buffered.append(text)
            state = .pending(buffered: buffered, close: close)
        case .open(let context):
            write(text, context: context)
        case .closing, .closed:
            break
        }
    }

    /// Frames the engine's bytes as they are (a `String` is made only while not yet open).
    package func send(utf8: UnsafeRawBufferPointer) {
        guard !isClosed else { return }
        switch state {
        case .pending:
            send(String(decoding: utf8, as: UTF8.self))
        case .open(let context):
            var buffer = outbound ?? context.channel.allocator.buffer(capacity: max(1024, utf8.count + 14))
            outbound = nil  // unique while appending
            WebSocketFrameCodec.writeText(utf8: utf8, fragmentSize: limits.outgoingFragmentSize, maskKey: maskKey, into: &buffer)
            outbound = buffer
            requestFlush()
        case .closing, .closed:
            break
        }
    }

    package func close(code: UInt16, reason: String) {
        guard !isClosed else { return }
        isClosed = true
        switch state {
        case .pending(let buffered, _):
            state = .pending(buffered: buffered, close: (code, reason))
        case .open(let context):
            startClosing(code: code, reason: reason, context: context)
        case .closing, .closed:
            break
        }
        report(TransportCloseEvent(code: code, reason: reason, initiator: .local))
    }

    package func abort() {
        guard !isClosed else { return }
        isClosed = true
        report(TransportCloseEvent(code: nil, reason: "aborted", initiator: .local))
        // Let what was already sent (e.g. the response before a drop) reach the socket first: an
        // unsolicited pong (RFC 6455 §5.5.3 allows it; it needs no answer) queued behind it tells
        // when the socket took everything. Bounded by the close handshake timeout, in case the
        // remote side is not reading.
        if case .open(let context) = state {
            let promise = context.eventLoop.makePromise(of: Void.self)
            writeControl(.pong, payload: [], context: context, promise: promise)
            promise.futureResult.assumeIsolated().whenComplete { [self] _ in self.terminate() }
            closeTimeoutTask = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(limits.closeHandshakeTimeout.nanoseconds)) { [self] in
                self.terminate()
            }
        } else {
            terminate()
        }
    }

    /// Sends a ping and calls `done` once the remote answered it (a pong to it or to a later ping)
    /// or the connection ended. The remote reads in order, so a pong means it has read everything
    /// sent before the ping: live replay's proof that a message reached the server.
    package func ping(then done: @escaping () -> Void) {
        guard case .open(let context) = state, !isClosed else {
            eventLoop.assumeIsolated().execute { done() }
            return
        }
        nextPingToken &+= 1
        let token = nextPingToken
        pingWaiters.append((token, done))
        withUnsafeBytes(of: token.bigEndian) { writeControl(.ping, payload: Array($0), context: context, promise: nil) }
    }

    /// Completes once the TCP connection is closed; `nil` before the connection is attached.
    package var closeFuture: EventLoopFuture<Void>? {
        switch state {
        case .open(let context), .closing(let context): return context.channel.closeFuture
        case .pending, .closed: return nil
        }
    }

    /// Ends the connection without a close frame, as a lost connection does, but so that the remote
    /// can tell: sends TCP FIN and waits for the remote to close its side (bounded by the close
    /// handshake timeout), then closes. The remote sees the connection lost; ``closeFuture``
    /// completes once it has answered.
    package func disconnect() {
        guard !isClosed else { return }
        isClosed = true
        report(TransportCloseEvent(code: nil, reason: "disconnected", initiator: .local))
        guard case .open(let context) = state else { return terminate() }
        state = .closing(context)
        flushIfPending()
        let outputClosed = context.eventLoop.makePromise(of: Void.self)
        outputClosed.futureResult.assumeIsolated().whenFailure { [self] _ in self.terminate() }
        context.close(mode: .output, promise: outputClosed)
        closeTimeoutTask = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(limits.closeHandshakeTimeout.nanoseconds)) { [self] in
            self.terminate()
        }
    }

    /// Calls the ping waiters up to and including `token` (all of them when `nil`).
    private func answerPings(upTo token: UInt64?) {
        guard !pingWaiters.isEmpty else { return }
        var answered: [() -> Void] = []
        while let first = pingWaiters.first, token.map({ first.token <= $0 }) ?? true {
            answered.append(first.done)
            pingWaiters.removeFirst()
        }
        for done in answered { done() }
    }

    // MARK: Pipeline

    /// Adds this connection to a channel that NIO's WebSocket upgrader has just upgraded.
    ///
    /// The upgrader always appends its own frame encoder and decoder. This connection frames by
    /// itself, so the decoder is removed and the connection goes in front of the encoder (which
    /// cannot be removed): inbound bytes reach the connection, and its writes go straight to the
    /// socket, so the encoder never sees one.
    package func install(in pipeline: ChannelPipeline.SynchronousOperations) throws {
        if let decoder = try? pipeline.handler(type: ByteToMessageHandler<WebSocketFrameDecoder>.self) {
            pipeline.removeHandler(decoder, promise: nil)
        }
        if let encoder = try? pipeline.handler(type: WebSocketFrameEncoder.self) {
            try pipeline.addHandler(self, position: .before(encoder))
        } else {
            try pipeline.addHandler(self)
        }
    }

    // MARK: Channel events

    package func handlerAdded(context: ChannelHandlerContext) {
        switch state {
        case .pending(let buffered, let close):
            state = .open(context)
            // The outbound cap: NIO marks the channel unwritable once this many bytes wait in its
            // buffer (see `channelWritabilityChanged`). No per-message accounting.
            let limit = max(2, limits.outboundBufferLimit)
            try? context.channel.syncOptions?.setOption(ChannelOptions.writeBufferWaterMark,
                                                        value: .init(low: limit / 2, high: limit))
            armKeepAlive(context: context)
            for text in buffered { write(text, context: context) }
            if let close, case .open = state {
                startClosing(code: close.code, reason: close.reason, context: context)
            }
        case .closed:
            // Aborted before the upgrade completed.
            context.close(promise: nil)
        case .open, .closing:
            break
        }
    }

    /// The channel closed before this connection was attached (the upgrade never completed).
    package func channelClosedBeforeAttaching() {
        guard case .pending = state else { return }
        state = .closed
        isClosed = true
        report(TransportCloseEvent(code: nil, reason: "connection lost during the upgrade", initiator: .network))
    }

    package func channelInactive(context: ChannelHandlerContext) {
        cancelTimers()
        dropPartialMessage()
        forgetOutbound()
        answerPings(upTo: nil)
        if !isClosed {
            isClosed = true
            report(TransportCloseEvent(code: nil, reason: "connection lost", initiator: .network))
        }
        state = .closed
        context.fireChannelInactive()
    }

    package func channelReadComplete(context: ChannelHandlerContext) {
        readingBatch = false
        flushIfPending()
        context.fireChannelReadComplete()
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !discardingInput else { return }
        readingBatch = true
        var bytes = unwrapInboundIn(data)
        // Whether `bytes` is our own buffer (the incomplete frame plus this read) or NIO's read buffer.
        var ownBuffer = false
        if var partial = partialFrame {
            partialFrame = nil
            partial.writeBuffer(&bytes)
            bytes = partial
            ownBuffer = true
        }
        while bytes.readableBytes > 0, !discardingInput {
            switch state {
            case .open, .closing: break
            case .pending, .closed: return
            }
            guard readFrame(from: &bytes, context: context) else { break }
        }
        switch state {
        case .open, .closing:
            guard bytes.readableBytes > 0, !discardingInput else { break }
            if ownBuffer {
                // Keep growing our buffer while a big frame arrives read by read.
                bytes.discardReadBytes()
                partialFrame = bytes
            } else {
                // A compact copy: a slice would pin NIO's whole read buffer (it could not be reused).
                var rest = context.channel.allocator.buffer(capacity: bytes.readableBytes)
                rest.writeBuffer(&bytes)
                partialFrame = rest
            }
        case .pending, .closed: break
        }
        reportPartialBytes()
    }

    /// Reads one whole frame from the front of `bytes` and handles it; `false` if the frame is not
    /// complete yet (nothing consumed) or the connection stopped reading.
    private func readFrame(from bytes: inout ByteBuffer, context: ChannelHandlerContext) -> Bool {
        let header: WebSocketFrameCodec.Header
        switch WebSocketFrameCodec.parseHeader(bytes, maxFrameSize: limits.maxFrameSize, requireMask: role == .server, forbidMask: role == .client) {
        case .needMoreBytes:
            return false
        case .invalid(let code, let reason):
            bytes.clear()
            protocolViolation(reason, code: code, context: context)
            return false
        case .header(let h):
            header = h
        }
        guard bytes.readableBytes >= header.headerLength + header.payloadLength else { return false }
        bytes.moveReaderIndex(forwardBy: header.headerLength)
        // Still masked: unmasked as it is copied out (in place would copy the shared read buffer).
        guard let payload = bytes.readSlice(length: header.payloadLength) else { return false }  // checked readable just above
        handleFrame(header, payload: payload, context: context)
        return true
    }

    private func handleFrame(_ frame: WebSocketFrameCodec.Header, payload: ByteBuffer, context: ChannelHandlerContext) {
        let key = frame.maskKey
        // Once our close frame is out, only the remote's close frame matters.
        if case .closing = state, frame.opcode != .close { return }
        receivedSinceCheck = true
        awaitingPong = false
        switch frame.opcode {
        case .text:
            guard assembling == nil, !skippingBinary else {
                return protocolViolation("text frame inside a fragmented message", code: 1002, context: context)
            }
            if frame.fin {
                deliver(bytes: payload, maskKey: key, context: context)
            } else {
                assembling = []
                append(payload, maskKey: key, context: context)
            }
        case .continuation:
            if skippingBinary {
                if frame.fin { skippingBinary = false }
            } else if assembling != nil {
                append(payload, maskKey: key, context: context)
                if frame.fin, let bytes = assembling {
                    assembling = nil
                    guard UTF8Validation.isValid(bytes) else {
                        return protocolViolation("text message is not valid UTF-8", code: CloseCode.invalidPayload, context: context)
                    }
                    deliver(text: String(decoding: bytes, as: UTF8.self))
                }
            } else {
                protocolViolation("continuation frame without a message", code: 1002, context: context)
            }
        case .binary:
            guard assembling == nil, !skippingBinary else {
                return protocolViolation("binary frame inside a fragmented message", code: 1002, context: context)
            }
            logLimited("binary frame ignored (protoo messages are text)", metadata: ["bytes": "\(payload.readableBytes)"])
            skippingBinary = !frame.fin
        case .close:
            receivedClose(Self.unmasked(payload, key), context: context)
        case .ping:
            guard case .open = state else { return }
            writeControl(.pong, payload: Self.unmasked(payload, key), context: context, promise: nil)
        case .pong:
            let bytes = Self.unmasked(payload, key)
            if bytes.count == 8, !pingWaiters.isEmpty {
                answerPings(upTo: bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
            }
        }
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection error, closing", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    // MARK: Inbound

    /// A frame's payload as bytes, unmasked.
    private static func unmasked(_ payload: ByteBuffer, _ key: UInt32?) -> [UInt8] {
        var bytes = Array(payload.readableBytesView)
        if let key { bytes.withUnsafeMutableBytes { WebSocketFrameCodec.applyMask(key, to: $0) } }
        return bytes
    }

    private func append(_ buffer: ByteBuffer, maskKey: UInt32?, context: ChannelHandlerContext) {
        guard var bytes = assembling else { return }
        if bytes.count + buffer.readableBytes > limits.maxMessageSize {
            assembling = nil
            return protocolViolation("message larger than \(limits.maxMessageSize) bytes", code: CloseCode.messageTooBig, context: context)
        }
        assembling = nil // keep the array uniquely referenced while appending
        bytes.append(contentsOf: Self.unmasked(buffer, maskKey))
        assembling = bytes
    }

    private func deliver(bytes buffer: ByteBuffer, maskKey: UInt32?, context: ChannelHandlerContext) {
        let count = buffer.readableBytes
        guard count <= limits.maxMessageSize else {
            return protocolViolation("message larger than \(limits.maxMessageSize) bytes", code: CloseCode.messageTooBig, context: context)
        }
        // One copy, unmasking on the way, then validated in place (invalid UTF-8 fails the connection).
        var valid = true
        let text = buffer.withUnsafeReadableBytes { source in
            String(unsafeUninitializedCapacity: count) { target in
                let raw = UnsafeMutableRawBufferPointer(target)
                if count > 0 { raw.copyMemory(from: source) }
                if let maskKey { WebSocketFrameCodec.applyMask(maskKey, to: raw) }
                valid = UTF8Validation.isValid(UnsafeRawBufferPointer(raw))
                return valid ? count : 0
            }
        }
        guard valid else {
            return protocolViolation("text message is not valid UTF-8", code: CloseCode.invalidPayload, context: context)
        }
        deliver(text: text)
    }

    private func deliver(text: String) {
        guard !isClosed else { return }
        delegate?.transport(self, didReceive: text)
    }

    private func receivedClose(_ data: [UInt8], context: ChannelHandlerContext) {
        let code: UInt16?, reason: String
        switch WebSocketFrameCodec.parseClosePayload(data) {
        case .valid(let c, let r):
            (code, reason) = (c, r)
        case .invalid(let failCode, let what):
            // Not echoed: codes such as 1005 must never go on the wire.
            return protocolViolation(what, code: failCode, context: context)
        }
        switch state {
        case .closing:
            // Our close frame was answered: the handshake is complete. A server closes TCP now; a
            // client waits for the server to (RFC 6455 §7.1.1), so that once its channel is closed
            // the server has seen the whole close; the close handshake timeout bounds the wait.
            if role == .server { terminate() }
        case .open:
            state = .closing(context)
            if !isClosed {
                isClosed = true
                report(TransportCloseEvent(code: code, reason: reason, initiator: .remote))
            }
            let promise = context.eventLoop.makePromise(of: Void.self)
            writeControl(.close, payload: code.map { [UInt8($0 >> 8), UInt8($0 & 0xFF)] } ?? [], context: context, promise: promise)
            promise.futureResult.assumeIsolated().whenComplete { [self] _ in self.terminate() }
        case .pending, .closed:
            break
        }
    }

    /// The remote broke the protocol or a limit (RFC 6455 §7.1.7, "fail the connection"): send a
    /// close frame with `code`, stop reading (the rest of the input may not even be frames), and
    /// close TCP as soon as the close frame is out; no reply is awaited.
    private func protocolViolation(_ what: String, code: UInt16, context: ChannelHandlerContext) {
        warn(.warning, "closing connection: \(what)", metadata: ["code": "\(code)"])
        discardingInput = true
        skippingBinary = false
        dropPartialMessage()
        switch state {
        case .open:
            if !isClosed {
                isClosed = true
                report(TransportCloseEvent(code: code, reason: what, initiator: .local))
            }
            failConnection(code: code, context: context)
        case .closing:
            // Our close frame is already out: nothing more to say.
            terminate()
        case .pending, .closed:
            break
        }
    }

    /// Sends the close frame for a failed connection, then closes our side of TCP (the FIN tells
    /// the remote the close is final); the close handshake timeout bounds the rest.
    private func failConnection(code: UInt16, context: ChannelHandlerContext) {
        state = .closing(context)
        let reason = switch code {
        case CloseCode.messageTooBig: "message too big"
        case CloseCode.invalidPayload: "invalid UTF-8"
        default: "protocol error"
        }
        let sent = context.eventLoop.makePromise(of: Void.self)
        writeControl(.close, payload: [UInt8(code >> 8), UInt8(code & 0xFF)] + reason.utf8, context: context, promise: sent)
        sent.futureResult.assumeIsolated().whenComplete { [self] _ in
            guard case .closing(let context) = self.state else { return }
            let outputClosed = context.eventLoop.makePromise(of: Void.self)
            outputClosed.futureResult.assumeIsolated().whenFailure { [self] _ in self.terminate() }
            context.close(mode: .output, promise: outputClosed)
        }
        closeTimeoutTask = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(limits.closeHandshakeTimeout.nanoseconds)) { [self] in
            self.terminate()
        }
    }

    /// The server holds too many bytes of unfinished messages and this connection is one of the
    /// largest holders: fail it with 1009.
    package func partialMessageBudgetExceeded(limit: Int) {
        switch state {
        case .open(let context), .closing(let context):
            protocolViolation("server-wide limit of \(limit) bytes in unfinished messages reached; this connection holds the most",
                              code: CloseCode.messageTooBig, context: context)
        case .pending, .closed:
            dropPartialMessage()
        }
    }

    /// Forgets a message being reassembled and a frame partly read, and tells the budget.
    private func dropPartialMessage() {
        assembling = nil
        partialFrame = nil
        reportPartialBytes()
    }

    /// Tells the server-wide budget how many bytes of unfinished messages this connection holds.
    private func reportPartialBytes() {
        guard let partialMessageBudget else { return }
        let held = (assembling?.count ?? 0) + (partialFrame?.readableBytes ?? 0)
        guard held != reportedPartialBytes else { return }
        reportedPartialBytes = held
        partialMessageBudget.update(self, holding: held)
    }

    /// Logs an info line the remote can repeat at will: the first 5, then one per 10 s with a count.
    /// A line every connection could write (a protocol error, a keep-alive drop): through the
    /// server's ``LogFloodGuard`` when there is one.
    private func warn(_ level: Logger.Level, _ message: String, metadata: @autoclosure () -> Logger.Metadata = [:]) {
        if let floodGuard { return floodGuard.log(level, message, metadata: metadata(), through: logger) }
        logger.log(level: level, "\(message)", metadata: metadata())
    }

    private func logLimited(_ message: String, metadata: @autoclosure () -> Logger.Metadata) {
        if let floodGuard { return floodGuard.log(.info, message, metadata: metadata(), through: logger) }
        let now = Instant(nanoseconds: Int64(clamping: eventLoop.now.uptimeNanoseconds))
        guard case .log(let suppressed) = logLimiter.admit(message, at: now) else { return }
        var metadata = metadata()
        if suppressed > 0 { metadata["suppressed"] = "\(suppressed)" }
        logger.info("\(message)", metadata: metadata)
    }

    // MARK: Outbound

    private func write(_ text: String, context: ChannelHandlerContext) {
        var buffer = outbound ?? context.channel.allocator.buffer(capacity: max(1024, text.utf8.count + 14))
        outbound = nil  // unique while appending
        WebSocketFrameCodec.writeText(text, fragmentSize: limits.outgoingFragmentSize, maskKey: maskKey, into: &buffer)
        outbound = buffer
        requestFlush()
    }

    /// Appends a control frame and writes everything pending now; `promise` completes once the
    /// socket took it (and so everything sent before it).
    private func writeControl(_ opcode: WebSocketFrameCodec.Opcode, payload: [UInt8], context: ChannelHandlerContext,
                              promise: EventLoopPromise<Void>?) {
        var buffer = outbound ?? context.channel.allocator.buffer(capacity: payload.count + 14)
        outbound = nil
        payload.withUnsafeBytes {
            WebSocketFrameCodec.writeFrame(fin: true, opcode: opcode, payload: $0, maskKey: maskKey(), into: &buffer)
        }
        flushPending = false
        context.writeAndFlush(wrapOutboundOut(buffer), promise: promise)
        watchOutbound(context: context)
    }

    // MARK: Unsent bytes

    /// Reports what the socket still holds to the server-wide budget and, while it holds
    /// something, checks that it drains: a socket that holds unsent bytes that do not decrease for
    /// ``WebSocketLimits/outboundStallTimeout`` belongs to a remote that is not reading.
    private func watchOutbound(context: ChannelHandlerContext) {
        guard role == .server else { return }
        let holding = (try? context.channel.syncOptions?.getOption(ChannelOptions.bufferedWritableBytes)) ?? 0
        if holding < reportedOutbound || reportedOutbound == 0 { lastDrained = context.eventLoop.now }
        if holding != reportedOutbound {
            reportedOutbound = holding
            outboundBudget?.update(self, holding: holding)
        }
        guard holding > 0, drainWatch == nil else { return }
        drainWatch = context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(250)) { [self] in
            self.drainWatch = nil
            switch self.state {
            case .open(let context), .closing(let context):
                self.watchOutbound(context: context)
                guard self.reportedOutbound > 0,
                      context.eventLoop.now - self.lastDrained >= .nanoseconds(self.limits.outboundStallTimeout.nanoseconds) else { return }
                self.warn(.warning, "closing connection: the remote side is not reading; nothing sent to it drained",
                          metadata: ["stalledFor": "\(self.limits.outboundStallTimeout)", "unsentBytes": "\(self.reportedOutbound)"])
                self.dropUnread(reason: "remote side not reading")
            case .pending, .closed:
                break
            }
        }
    }

    /// The server holds too many unsent bytes and this connection holds the most: drop it.
    package func outboundBudgetExceeded(limit: Int) {
        reportedOutbound = 0   // the budget already forgot it
        warn(.warning, "closing connection: server-wide limit of unsent bytes reached; this connection holds the most",
             metadata: ["limit": "\(limit)"])
        dropUnread(reason: "server-wide outbound limit exceeded")
    }

    /// Ends a connection whose remote does not read: no close frame could reach it.
    private func dropUnread(reason: String) {
        if !isClosed {
            isClosed = true
            report(TransportCloseEvent(code: nil, reason: reason, initiator: .network))
        }
        terminate()
    }

    package func channelWritabilityChanged(context: ChannelHandlerContext) {
        if !context.channel.isWritable, case .open = state {
            outboundLimitExceeded()
        }
        context.fireChannelWritabilityChanged()
    }

    private func requestFlush() {
        guard !flushPending else { return }
        flushPending = true
        guard !readingBatch else { return }  // channelReadComplete flushes
        eventLoop.assumeIsolated().execute { [self] in self.flushIfPending() }
    }

    private func flushIfPending() {
        guard flushPending else { return }
        flushPending = false
        switch state {
        case .open(let context), .closing(let context):
            if let buffer = outbound {
                outbound = nil
                context.write(wrapOutboundOut(buffer), promise: nil)
            }
            context.flush()
            watchOutbound(context: context)
        case .pending, .closed: break
        }
    }

    private func outboundLimitExceeded() {
        warn(.error, "closing connection: the remote side is not reading; outbound buffer over its limit",
                     metadata: ["limit": "\(limits.outboundBufferLimit)"])
        if !isClosed {
            isClosed = true
            report(TransportCloseEvent(code: nil, reason: "outbound buffer limit exceeded", initiator: .network))
        }
        terminate()
    }

    private func startClosing(code: UInt16, reason: String, context: ChannelHandlerContext) {
        state = .closing(context)
        writeControl(.close, payload: [UInt8(code >> 8), UInt8(code & 0xFF)] + reason.utf8.prefix(123), context: context, promise: nil)
        closeTimeoutTask = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(limits.closeHandshakeTimeout.nanoseconds)) { [self] in
            self.terminate()
        }
    }

    /// Closes TCP now (no close frame if none was sent yet).
    private func terminate() {
        cancelTimers()
        dropPartialMessage()
        forgetOutbound()
        switch state {
        case .open(let context), .closing(let context):
            state = .closed
            context.close(promise: nil)
        case .pending:
            state = .closed
        case .closed:
            break
        }
    }

    /// A fresh random masking key per frame for a client (RFC 6455 §5.3); servers do not mask.
    private func maskKey() -> UInt32? {
        role == .client ? UInt32.random(in: .min ... .max) : nil
    }

    // MARK: Keep-alive and close reporting

    private func armKeepAlive(context: ChannelHandlerContext) {
        guard let interval = limits.keepAliveInterval else { return }
        receivedSinceCheck = false
        keepAliveTask = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(interval.nanoseconds)) { [self] in
            self.keepAliveCheck(context: context)
        }
    }

    private func keepAliveCheck(context: ChannelHandlerContext) {
        guard case .open = state else { return }
        if receivedSinceCheck { return armKeepAlive(context: context) }
        awaitingPong = true
        writeControl(.ping, payload: [], context: context, promise: nil)
        keepAliveTask = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(limits.keepAliveTimeout.nanoseconds)) { [self] in
            guard case .open = self.state else { return }
            if self.awaitingPong {
                self.warn(.warning, "closing connection: no pong within the keep-alive timeout")
                if !self.isClosed {
                    self.isClosed = true
                    self.report(TransportCloseEvent(code: nil, reason: "keep-alive timeout", initiator: .network))
                }
                self.terminate()
            } else {
                self.armKeepAlive(context: context)
            }
        }
    }

    /// The connection is gone: it holds nothing any more.
    private func forgetOutbound() {
        drainWatch?.cancel()
        drainWatch = nil
        if reportedOutbound > 0 {
            reportedOutbound = 0
            outboundBudget?.update(self, holding: 0)
        }
    }

    private func cancelTimers() {
        keepAliveTask?.cancel()
        keepAliveTask = nil
        closeTimeoutTask?.cancel()
        closeTimeoutTask = nil
    }

    /// Delivers the close event once, on a later turn of the loop.
    private func report(_ event: TransportCloseEvent) {
        guard !closeReported else { return }
        closeReported = true
        eventLoop.assumeIsolated().execute { [self] in
            let delegate = self.delegate
            self.delegate = nil
            delegate?.transport(self, didClose: event)
        }
    }
}
