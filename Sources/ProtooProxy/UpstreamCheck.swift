import NIOCore
import NIOPosix

/// Whether the upstream answers at all: one TCP connection, closed at once. `protoo proxy` runs
/// it as it starts, so that an upstream that is down is said at once, not at the first client.
public enum UpstreamCheck {
    /// `nil` when a TCP connection to the upstream opened within `timeout`; otherwise why not.
    public static func problem(with configuration: ProxyConfiguration, timeout: Duration = .seconds(2)) async -> String? {
        let url = configuration.upstreamURL
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.nanoseconds(timeout.nanoseconds))
                .connect(host: url.host, port: url.port).get()
            try? await channel.close()
            return nil
        } catch {
            return "\(error)"
        }
    }
}
