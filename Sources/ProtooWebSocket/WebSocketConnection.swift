import Logging
import NIOCore
import NIOWebSocket
import Protoo

/// One WebSocket connection as an engine ``Transport``, and the channel handler that drives it.
///
/// It is created before the upgrade completes (the app accepts first), buffers what the engine sends
/// until ``handlerAdded(context:)``, then: reassembles fragmented text messages, ignores binary
/// messages, answers pings, sends keep-alive pings, fragments outgoing messages, enforces
/// ``WebSocketLimits``, and runs the close handshake. Close events reach the delegate on a later turn
/// of the event loop, never inside `send`/`close`/`abort`, and at most once.
///
/// Not `Sendable`: lives on its channel's event loop, like the engine.
package final class WebSocketConnection: ChannelInboundHandler, Transport {
    package typealias InboundIn = WebSocketFrame
    package typealias OutboundOut = WebSocketFrame

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

    // Inbound reassembly.
    private var assembling: [UInt8]?
    private var skippingBinary = false
    // Outbound accounting.
    // Flush coalescing: writes made while reading are flushed once at `channelReadComplete`;
    // others once at the end of the event loop's current turn. Fewer write system calls.
    private var readingBatch = false
    private var flushPending = false
    // Keep-alive.
    private var receivedSinceCheck = false
    private var keepAliveTask: Scheduled<Void>?
    private var awaitingPong = false
    private var closeTimeoutTask: Scheduled<Void>?

    package init(role: Role, limits: WebSocketLimits, eventLoop: any EventLoop, logger: Logger) {
        self.role = role
        self.limits = limits
        self.eventLoop = eventLoop
        self.logger = logger
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
            let marker = WebSocketFrame(fin: true, opcode: .pong, maskKey: maskKey(), data: ByteBuffer())
            flushPending = false
            context.writeAndFlush(wrapOutboundOut(marker)).assumeIsolated().whenComplete { [self] _ in self.terminate() }
            closeTimeoutTask = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(limits.closeHandshakeTimeout.nanoseconds)) { [weak self] in
                self?.terminate()
            }
        } else {
            terminate()
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
        readingBatch = true
        let frame = unwrapInboundIn(data)
        // Once our close frame is out, only the remote's close frame matters.
        if case .closing = state, frame.opcode != .connectionClose { return }
        receivedSinceCheck = true
        awaitingPong = false
        switch frame.opcode {
        case .text:
            guard assembling == nil, !skippingBinary else {
                return protocolViolation("text frame inside a fragmented message", code: 1002, context: context)
            }
            if frame.fin {
                deliver(bytes: frame.unmaskedData, context: context)
            } else {
                assembling = []
                append(frame.unmaskedData, context: context)
            }
        case .continuation:
            if skippingBinary {
                if frame.fin { skippingBinary = false }
            } else if assembling != nil {
                append(frame.unmaskedData, context: context)
                if frame.fin, let bytes = assembling {
                    assembling = nil
                    deliver(text: String(decoding: bytes, as: UTF8.self))
                }
            } else {
                protocolViolation("continuation frame without a message", code: 1002, context: context)
            }
        case .binary:
            guard assembling == nil, !skippingBinary else {
                return protocolViolation("binary frame inside a fragmented message", code: 1002, context: context)
            }
            logger.info("binary frame ignored (protoo messages are text)", metadata: ["bytes": "\(frame.length)"])
            skippingBinary = !frame.fin
        case .connectionClose:
            receivedClose(frame, context: context)
        case .ping:
            guard case .open = state else { return }
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: maskKey(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .pong:
            break
        default:
            protocolViolation("unknown opcode", code: 1002, context: context)
        }
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let wsError = error as? NIOWebSocketError {
            switch wsError {
            case .invalidFrameLength:
                protocolViolation("frame larger than \(limits.maxFrameSize) bytes", code: CloseCode.messageTooBig, context: context)
            default:
                protocolViolation("WebSocket protocol error: \(wsError)", code: 1002, context: context)
            }
            return
        }
        logger.debug("connection error, closing", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    // MARK: Inbound

    private func append(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        guard var bytes = assembling else { return }
        if bytes.count + buffer.readableBytes > limits.maxMessageSize {
            assembling = nil
            return protocolViolation("message larger than \(limits.maxMessageSize) bytes", code: CloseCode.messageTooBig, context: context)
        }
        assembling = nil // keep the array uniquely referenced while appending
        bytes.append(contentsOf: buffer.readableBytesView)
        assembling = bytes
    }

    private func deliver(bytes buffer: ByteBuffer, context: ChannelHandlerContext) {
        guard buffer.readableBytes <= limits.maxMessageSize else {
            return protocolViolation("message larger than \(limits.maxMessageSize) bytes", code: CloseCode.messageTooBig, context: context)
        }
        deliver(text: String(buffer: buffer))
    }

    private func deliver(text: String) {
        guard !isClosed else { return }
        delegate?.transport(self, didReceive: text)
    }

    private func receivedClose(_ frame: WebSocketFrame, context: ChannelHandlerContext) {
        var data = frame.unmaskedData
        let code = data.readInteger(as: UInt16.self)
        let reason = data.readString(length: data.readableBytes) ?? ""
        switch state {
        case .closing:
            // Our close frame was answered: the handshake is complete.
            terminate()
        case .open:
            state = .closing(context)
            if !isClosed {
                isClosed = true
                report(TransportCloseEvent(code: code, reason: reason, initiator: .remote))
            }
            var echo = context.channel.allocator.buffer(capacity: 2)
            if let code { echo.writeInteger(code) }
            let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: maskKey(), data: echo)
            context.writeAndFlush(wrapOutboundOut(frame)).assumeIsolated().whenComplete { [weak self] _ in
                self?.terminate()
            }
        case .pending, .closed:
            break
        }
    }

    /// The remote broke the protocol or a limit: close with `code`, drop everything else it sends.
    private func protocolViolation(_ what: String, code: UInt16, context: ChannelHandlerContext) {
        logger.warning("closing connection: \(what)", metadata: ["code": "\(code)"])
        assembling = nil
        skippingBinary = false
        guard case .open = state else { return }
        if !isClosed {
            isClosed = true
            report(TransportCloseEvent(code: code, reason: what, initiator: .local))
        }
        startClosing(code: code, reason: code == CloseCode.messageTooBig ? "message too big" : "protocol error", context: context)
    }

    // MARK: Outbound

    /// Room left in front of a single-frame message, so NIO's encoder writes the frame header in
    /// place instead of allocating and writing a separate header buffer.
    private static let headerRoom = 14

    private func write(_ text: String, context: ChannelHandlerContext) {
        let fragment = max(1, limits.outgoingFragmentSize)
        if text.utf8.count <= fragment {
            var buffer = context.channel.allocator.buffer(capacity: Self.headerRoom + text.utf8.count)
            buffer.moveWriterIndex(forwardBy: Self.headerRoom)
            buffer.moveReaderIndex(forwardBy: Self.headerRoom)
            buffer.writeString(text)
            context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, maskKey: maskKey(), data: consume buffer)),
                          promise: nil)
            requestFlush()
            return
        }
        var utf8 = context.channel.allocator.buffer(string: text)
        var opcode = WebSocketOpcode.text
        while true {
            let slice = utf8.readSlice(length: min(fragment, utf8.readableBytes))!
            let last = utf8.readableBytes == 0
            let frame = WebSocketFrame(fin: last, opcode: opcode, maskKey: maskKey(), data: slice)
            opcode = .continuation
            context.write(wrapOutboundOut(frame), promise: nil)
            if last { break }
        }
        requestFlush()
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
        case .open(let context), .closing(let context): context.flush()
        case .pending, .closed: break
        }
    }

    private func outboundLimitExceeded() {
        logger.error("closing connection: the remote side is not reading; outbound buffer over its limit",
                     metadata: ["limit": "\(limits.outboundBufferLimit)"])
        if !isClosed {
            isClosed = true
            report(TransportCloseEvent(code: nil, reason: "outbound buffer limit exceeded", initiator: .network))
        }
        terminate()
    }

    private func startClosing(code: UInt16, reason: String, context: ChannelHandlerContext) {
        state = .closing(context)
        var data = context.channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        data.writeInteger(code)
        data.writeString(String(decoding: reason.utf8.prefix(123), as: UTF8.self))
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: maskKey(), data: data)
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        closeTimeoutTask = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(limits.closeHandshakeTimeout.nanoseconds)) { [weak self] in
            self?.terminate()
        }
    }

    /// Closes TCP now (no close frame if none was sent yet).
    private func terminate() {
        cancelTimers()
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

    private func maskKey() -> WebSocketMaskingKey? {
        role == .client ? .random() : nil
    }

    // MARK: Keep-alive and close reporting

    private func armKeepAlive(context: ChannelHandlerContext) {
        guard let interval = limits.keepAliveInterval else { return }
        receivedSinceCheck = false
        keepAliveTask = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(interval.nanoseconds)) { [weak self] in
            self?.keepAliveCheck(context: context)
        }
    }

    private func keepAliveCheck(context: ChannelHandlerContext) {
        guard case .open = state else { return }
        if receivedSinceCheck { return armKeepAlive(context: context) }
        awaitingPong = true
        let ping = WebSocketFrame(fin: true, opcode: .ping, maskKey: maskKey(), data: ByteBuffer())
        context.writeAndFlush(wrapOutboundOut(ping), promise: nil)
        keepAliveTask = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(limits.keepAliveTimeout.nanoseconds)) { [weak self] in
            guard let self, case .open = self.state else { return }
            if self.awaitingPong {
                self.logger.warning("closing connection: no pong within the keep-alive timeout")
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
