import ServiceLifecycle

/// A `ProtooServer` is a swift-service-lifecycle `Service`: run it in a `ServiceGroup` beside your
/// other services, and a graceful shutdown (SIGTERM) drains it for a deploy.
///
/// ```swift
/// let server = try await ProtooServer.start(configuration, app: { ChatApp(context: $0) })
/// let group = ServiceGroup(configuration: .init(services: [.init(service: server)],
///                                               gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
/// try await group.run()       // returns once drained: peers closed with 1012, handlers finished
/// ```
extension ProtooServer: Service {
    /// Serves until the group's graceful shutdown, then ``drain(timeout:)``s; cancelled, it
    /// shuts down at once (``shutdown()``).
    public func run() async throws {
        do {
            try await gracefulShutdown()
        } catch {
            await shutdown()
            return
        }
        await drain()
    }
}
