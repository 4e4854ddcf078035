import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ProtooTestSupport

/// Many TCP connections that send `preamble` (nothing by default) and then stay silent, on one
/// event loop: counts how many the server has closed.
final class SilentConnections: Sendable {
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let channels = NIOLockedValueBox<[any Channel]>([])
    private let closedCount = NIOLockedValueBox(0)

    /// Opens `count` connections to `127.0.0.1:port`. A connection the kernel queues without the
    /// server accepting it counts as open.
    init(count: Int, port: Int, preamble: String = "") async throws {
        let closed = closedCount
        for _ in 0..<count {
            let channel = try await ClientBootstrap(group: group)
                .connectTimeout(.seconds(10))
                .connect(host: "127.0.0.1", port: port).get()
            channel.closeFuture.whenComplete { _ in closed.withLockedValue { $0 += 1 } }
            if !preamble.isEmpty {
                do {
                    try await channel.writeAndFlush(ByteBuffer(string: preamble))
                } catch ChannelError.ioOnClosedChannel {
                    // A loaded run: the server's deadline closed it before the preamble went out.
                    // That is what the tests count, not a failure to set up.
                }
            }
            channels.withLockedValue { $0.append(channel) }
        }
    }

    /// How many of them the server closed so far.
    var closed: Int { closedCount.withLockedValue { $0 } }

    /// Waits until at least `count` are closed; `false` if that did not happen within `timeout`.
    func waitUntilClosed(_ count: Int, timeout: Duration = .seconds(20)) async throws -> Bool {
        try await eventually(timeout: timeout) { closed >= count }
    }

    /// Closes the ones still open and ends the loop.
    func close() async {
        for channel in channels.withLockedValue({ $0 }) { try? await channel.close() }
        try? await group.shutdownGracefully()
    }
}
