import NIOCore
import NIOHTTP1

/// Sends the WebSocket upgrade request once connected, and reports a non-101 answer.
/// The upgrader removes it when the upgrade succeeds.
final class UpgradeRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let head: HTTPRequestHead
    private let onRefused: (_ status: Int, _ reason: String) -> Void

    init(head: HTTPRequestHead, onRefused: @escaping (Int, String) -> Void) {
        self.head = head
        self.onRefused = onRefused
    }

    func channelActive(context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let response) = unwrapInboundIn(data) {
            let status = Int(response.status.code)
            // A 101 reaches this handler only when the upgrader turned it down: its
            // Sec-WebSocket-Accept (or Upgrade/Connection headers) are wrong.
            let reason = status == 101 ? "invalid upgrade answer (Sec-WebSocket-Accept, Upgrade or Connection header wrong)"
                : response.headers.first(name: "X-WebSocket-Reject-Reason") ?? response.status.reasonPhrase
            onRefused(status, reason)
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
