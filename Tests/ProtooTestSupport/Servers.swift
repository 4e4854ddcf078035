import Logging
import Protoo
import ProtooApps
import ProtooProxy
import ProtooWebSocket
import Testing

/// In-process servers and proxies for socket tests, each bound to a body that it outlives: the
/// server is shut down when the body returns and when it throws (a failed `#require`, a wait that
/// timed out), so no test leaves a server, its event loop or its port behind.
public enum Harness {
    /// A logger that keeps tests quiet (critical lines only).
    public static let quietLogger: Logger = {
        var logger = Logger(label: "protoo.test")
        logger.logLevel = .critical
        return logger
    }()

    /// The built-in conformance app (`protoo serve --app conformance`).
    public static var conformance: ProtooAppFactory { { ConformanceApp(context: $0) } }

    /// A loopback server configuration on port 0: seeded request ids, a 1 s shutdown grace
    /// period, the quiet logger.
    public static func serverConfiguration() -> ProtooServer.Configuration {
        ProtooServer.Configuration(host: "127.0.0.1", port: 0, randomSeed: 1, shutdownGracePeriod: .seconds(1), logger: quietLogger)
    }
}

/// Runs `body` with a loopback server (port 0) running `app` (the conformance app by default),
/// `configure` applied to ``Harness/serverConfiguration()``; shuts the server down afterwards,
/// whether `body` returned or threw.
@discardableResult
public func withServer<T>(app: @escaping ProtooAppFactory = Harness.conformance,
                          configure: (inout ProtooServer.Configuration) -> Void = { _ in },
                          isolation: isolated (any Actor)? = #isolation,
                          _ body: (ProtooServer) async throws -> T) async throws -> T {
    var configuration = Harness.serverConfiguration()
    configure(&configuration)
    let server = try await ProtooServer.start(configuration, app: app)
    return try await shuttingDown(server) { try await body(server) }
}

/// Runs `body` with a proxy (``ProxyApp`` on a loopback server, port 0) in front of `upstream`
/// (`ws://HOST:PORT`), `configure` applied to its configuration and `server` to its server's;
/// shuts the proxy down afterwards, whether `body` returned or threw.
@discardableResult
public func withProxy<T>(to upstream: String,
                         configure: (inout ProxyConfiguration) -> Void = { _ in },
                         server: (inout ProtooServer.Configuration) -> Void = { _ in },
                         isolation: isolated (any Actor)? = #isolation,
                         _ body: (ProtooServer) async throws -> T) async throws -> T {
    var configuration = try ProxyConfiguration(upstream: upstream, logger: Harness.quietLogger)
    configure(&configuration)
    return try await withServer(app: ProxyApp.factory(configuration), configure: server) { proxy in try await body(proxy) }
}

/// ``withProxy(to:configure:server:isolation:_:)`` in front of an in-process `upstream`.
@discardableResult
public func withProxy<T>(to upstream: ProtooServer,
                         configure: (inout ProxyConfiguration) -> Void = { _ in },
                         server: (inout ProtooServer.Configuration) -> Void = { _ in },
                         isolation: isolated (any Actor)? = #isolation,
                         _ body: (ProtooServer) async throws -> T) async throws -> T {
    try await withProxy(to: "ws://127.0.0.1:\(upstream.port)", configure: configure, server: server) { proxy in try await body(proxy) }
}

/// Runs `body`, then shuts `server` down, also when `body` threw (then rethrows).
@discardableResult
public func shuttingDown<T>(_ server: ProtooServer, isolation: isolated (any Actor)? = #isolation,
                            _ body: () async throws -> T) async throws -> T {
    let result: T
    do {
        result = try await body()
    } catch {
        await server.shutdown()
        throw error
    }
    await server.shutdown()
    return result
}

/// How a test's client reaches the server under test: directly, or through the proxy (which must
/// be transparent: every check passes either way).
public enum Route: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case direct
    case proxied

    public var testDescription: String { rawValue }
}

/// A server as a test's clients reach it (``Route``).
public struct Endpoint: Sendable {
    public let route: Route
    /// The server running the app under test (behind the proxy when ``route`` is `.proxied`).
    public let server: ProtooServer
    /// The proxy in front of ``server``, when ``route`` is `.proxied`.
    public let proxy: ProtooServer?

    /// The port clients connect to: the proxy's, or the server's.
    public var port: Int { (proxy ?? server).port }
    /// `ws://127.0.0.1:PORT` (no trailing slash) of ``port``.
    public var url: String { "ws://127.0.0.1:\(port)" }
}

/// Runs `body` with a server running `app` (the conformance app by default) reached by `route`:
/// directly, or through a proxy in front of it; shuts both down afterwards, whether `body`
/// returned or threw.
@discardableResult
public func withServer<T>(via route: Route, app: @escaping ProtooAppFactory = Harness.conformance,
                          configure: (inout ProtooServer.Configuration) -> Void = { _ in },
                          isolation: isolated (any Actor)? = #isolation,
                          _ body: (Endpoint) async throws -> T) async throws -> T {
    try await withServer(app: app, configure: configure) { server in
        switch route {
        case .direct:
            return try await body(Endpoint(route: route, server: server, proxy: nil))
        case .proxied:
            return try await withProxy(to: server) { proxy in try await body(Endpoint(route: route, server: server, proxy: proxy)) }
        }
    }
}
