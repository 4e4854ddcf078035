import Logging
import NIOCore
import Protoo
import ProtooWebSocketCore

/// On the listening channel: when `accept()` fails (EMFILE, ENFILE: out of file descriptors),
/// stops accepting for `retryDelay`, then tries again; logs the failure at most once per 10 s per
/// errno, with the count since the last line.
///
/// Without it the loop spins: the listening socket stays readable while accept() fails, and NIO
/// retries at once (97 % CPU measured, no log line). NIO's `AcceptBackoffHandler` does not help
/// here: it delays `read()` calls, but after an accept() that fails before any succeeded in the
/// same wake-up the channel makes none and stays registered for reads. Turning `autoRead` off
/// takes the socket out of the selector; turning it back on re-registers it.
final class AcceptErrorHandler: ChannelInboundHandler {
    typealias InboundIn = any Channel

    private let logger: Logger
    private let retryDelay: Duration
    private var limiter = LogLimiter<String>(burst: 1, interval: .seconds(10))
    private var resume: Scheduled<Void>?

    init(logger: Logger, retryDelay: Duration) {
        self.logger = logger
        self.retryDelay = retryDelay
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let ioError = error as? IOError else { return context.fireErrorCaught(error) }
        let now = Instant(nanoseconds: Int64(clamping: context.eventLoop.now.uptimeNanoseconds))
        if case .log(let suppressed) = limiter.admit("\(ioError.errnoCode)", at: now) {
            logger.error("accepting connections failed; pausing accepts and retrying", metadata: [
                "error": "\(ioError)", "retryIn": "\(retryDelay)", "failuresSinceLastLine": "\(suppressed)",
            ])
        }
        pauseAccepting(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        resume?.cancel()
        resume = nil
    }

    private func pauseAccepting(context: ChannelHandlerContext) {
        guard resume == nil, let options = context.channel.syncOptions else { return }
        try? options.setOption(ChannelOptions.autoRead, value: false)
        let channel = context.channel
        resume = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(retryDelay.nanoseconds)) { [self] in
            self.resume = nil
            guard channel.isActive else { return }
            try? channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
        }
    }
}
