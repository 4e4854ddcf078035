import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A bare TCP client for handshake-level checks: writes bytes, collects what comes back.
enum RawTCP {
    /// What the server sent, and whether it closed the connection before `timeout`.
    struct Exchange: Sendable {
        var response: String
        var closedByServer: Bool
        var statusLine: String { response.split(separator: "\r\n", maxSplits: 1).first.map(String.init) ?? "" }
    }

    /// Connects to `127.0.0.1:port`, sends `request`, and waits up to `timeout` for the server to close.
    static func exchange(port: Int, request: String, timeout: Duration) async throws -> Exchange {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { group.shutdownGracefully { _ in } }
        let received = NIOLockedValueBox("")
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collector(received)) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        do {
            try await channel.writeAndFlush(ByteBuffer(string: request))
        } catch ChannelError.ioOnClosedChannel {
            // A loaded run: the server's deadline closed the connection before the request went out.
        }
        let timedOut = try await channel.eventLoop.submit {
            let timedOut = channel.eventLoop.makePromise(of: Bool.self)
            let task = channel.eventLoop.scheduleTask(in: .nanoseconds(timeout.nanoseconds)) {
                timedOut.succeed(true)
                channel.close(promise: nil)
            }
            channel.closeFuture.whenComplete { _ in
                task.cancel()
                timedOut.succeed(false)
            }
            return timedOut.futureResult
        }.get().get()
        return Exchange(response: received.withLockedValue { $0 }, closedByServer: !timedOut)
    }

    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let received: NIOLockedValueBox<String>
        init(_ received: NIOLockedValueBox<String>) { self.received = received }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let chunk = String(buffer: unwrapInboundIn(data))
            received.withLockedValue { $0 += chunk }
        }
    }

    /// A WebSocket upgrade request for `target`, offering `subprotocol` (none when `nil`).
    static func upgradeRequest(port: Int, target: String, subprotocol: String? = "protoo") -> String {
        var request = "GET \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        request += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        if let subprotocol { request += "Sec-WebSocket-Protocol: \(subprotocol)\r\n" }
        return request + "\r\n"
    }
}
