import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Answers the HTTP requests that were not upgraded: the app's rejection (status, reason in
/// `X-WebSocket-Reject-Reason` and the body), 403 without subprotocol `protoo`, 426 for plain HTTP.
final class HTTPRefusalHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let outcome: UpgradeOutcome
    private let healthCheckPath: String?
    private let isAccepting: () -> Bool
    private var head: HTTPRequestHead?

    init(outcome: UpgradeOutcome, healthCheckPath: String? = nil, isAccepting: @escaping () -> Bool = { true }) {
        self.outcome = outcome
        self.healthCheckPath = healthCheckPath
        self.isAccepting = isAccepting
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end: respond(context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // The upgrader reports a refused upgrade as an error, then passes the request on to us.
        if error is NIOWebSocketUpgradeError { return }
        context.close(promise: nil)
    }

    private func respond(context: ChannelHandlerContext) {
        let status: Int, reason: String
        if let decided = outcome.status {
            status = decided
            reason = outcome.reason
        } else if let head, let healthCheckPath, head.method == .GET || head.method == .HEAD,
                  !head.headers.contains(name: "upgrade"), head.uri.split(separator: "?").first.map(String.init) == healthCheckPath {
            // The balancer's health check: up while protoo connections are accepted.
            let up = isAccepting()
            status = up ? 200 : 503
            reason = up ? "ok" : "draining: not accepting protoo connections"
        } else if head?.headers.contains(name: "upgrade") == true {
            status = 400
            reason = "invalid WebSocket upgrade request"
        } else {
            status = 426
            reason = "protoo WebSocket endpoint: connect with a WebSocket client offering subprotocol protoo"
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: "\(reason.utf8.count)")
        headers.add(name: "Connection", value: "close")
        if status != 200 { headers.add(name: "X-WebSocket-Reject-Reason", value: reason) }
        let response = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers)
        context.write(wrapOutboundOut(.head(response)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: reason)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
