import Logging
import NIOCore
import NIOSSL
import Protoo
import ProtooWebSocketCore
import ProtooClient
import ProtooWebSocket

/// How one upstream connection attempt ended.
enum UpstreamOutcome {
    /// Upgraded. Set the transport's delegate before returning from the completion.
    case opened(any Transport)
    /// The upstream answered the upgrade with this HTTP status and reason.
    case refused(status: Int, reason: String)
    /// No connection: refused, unreachable, closed before the upgrade, or not speaking protoo.
    case failed(String)
}

/// Opens upstream connections for a ``ProxyApp``: the seam between the relay and the network.
protocol UpstreamDialing {
    /// Dials the upstream with `target` (the client's path and query) and `headers`; `completion`
    /// runs once, on the proxy's scheduler. Returns a function that abandons the attempt.
    func dial(target: String, headers: [(name: String, value: String)], completion: @escaping (UpstreamOutcome) -> Void) -> () -> Void
}

/// ``UpstreamDialing`` over ``WebSocketDialer``, on the proxy server's own event loop: both sides
/// of every relay live on one loop, with no thread hop.
struct WebSocketUpstreamDialer: UpstreamDialing {
    let url: WebSocketURL
    let options: WebSocketDialer.Options
    let eventLoop: any EventLoop

    func dial(target: String, headers: [(name: String, value: String)], completion: @escaping (UpstreamOutcome) -> Void) -> () -> Void {
        var url = self.url
        url.target = target
        var options = self.options
        options.headers = headers
        let attempt = DialHandle()
        WebSocketDialer.dial(url, options: options, eventLoop: eventLoop, channelCreated: { channel in
            if attempt.abandoned { channel.close(promise: nil) } else { attempt.channel = channel }
        }, completion: { outcome in
            attempt.channel = nil
            switch outcome {
            case .opened(let connection): completion(.opened(connection))
            case .refused(let status, let reason): completion(.refused(status: status, reason: reason))
            case .failed(let reason): completion(.failed(reason))
            }
        })
        return {
            attempt.abandoned = true
            attempt.channel?.close(promise: nil)
        }
    }
}

/// One dial's channel, to close it when the attempt is abandoned. On the loop only.
private final class DialHandle {
    var channel: (any Channel)?
    var abandoned = false
}
