import Protoo
import ProtooApps
import ProtooWebSocket
import Testing

extension Harness {
    /// The conformance app on a loopback server, port 0, with `configure` applied to the configuration.
    static func startServer(configure: (inout ProtooServer.Configuration) -> Void) async throws -> ProtooServer {
        var configuration = ProtooServer.Configuration(host: "127.0.0.1", port: 0, randomSeed: 1, shutdownGracePeriod: .seconds(1),
                                                       logger: quietLogger)
        configure(&configuration)
        return try await ProtooServer.start(configuration, app: try #require(BuiltInApps.factory(named: "conformance")))
    }

    /// Retries an upgrade until it is answered `status` (the server may take a turn to notice a close).
    static func upgradeEventually(port: Int, target: String, status: String, timeout: Duration = .seconds(10)) async throws -> RawWebSocketClient? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            let (client, answered) = try await RawWebSocketClient.upgraded(port: port, target: target)
            if answered == status { return client }
            await client.close()
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }
}
