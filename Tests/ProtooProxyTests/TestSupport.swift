import Foundation
import Protoo
import ProtooApps
@testable import ProtooProxy
import ProtooTestSupport
import ProtooWebSocket
import Testing

/// An upstream server and a proxy in front of it, both in process on port 0.
struct ProxiedServer: Sendable {
    let upstream: ProtooServer
    let proxy: ProtooServer
    var port: Int { proxy.port }
    var url: String { "ws://127.0.0.1:\(proxy.port)" }
}

/// Runs `body` with `app` (default: conformance) on an upstream server and a proxy in front of
/// it, `configure` applied to the proxy's configuration; shuts both down afterwards, whether
/// `body` returned or threw.
@discardableResult
func withProxied<T>(_ app: @escaping ProtooAppFactory = Harness.conformance, configure: (inout ProxyConfiguration) -> Void = { _ in },
                    isolation: isolated (any Actor)? = #isolation,
                    _ body: (ProxiedServer) async throws -> T) async throws -> T {
    try await withServer(app: app) { upstream in
        try await withProxy(to: upstream, configure: configure) { proxy in
            try await body(ProxiedServer(upstream: upstream, proxy: proxy))
        }
    }
}

extension Harness {
    /// The ``WireApp``.
    static var wire: ProtooAppFactory { { WireApp(context: $0) } }

    /// A seed whose first timed fault under `faults` strikes connection 1 within `window` of its
    /// opening: late enough for the client's upgrade to finish, soon enough for a test.
    static func seed(firstFaultOf faults: ProxyFaults, within window: ClosedRange<Duration> = .milliseconds(400)...(.milliseconds(1500))) -> UInt64 {
        for seed in UInt64(1)... {
            var plan = ConnectionFaults(faults, seed: seed, connection: 1)
            plan.start(at: .zero)
            if let first = plan.nextEvent(), window.contains(first.at - .zero) { return seed }
        }
        fatalError("unreachable")
    }

    /// A loopback port nothing listens on (a server's, after it shut down).
    static func closedPort() async throws -> Int {
        try await withServer { $0.port }
    }

    /// The number of connections the proxy `server` is relaying now.
    static func relayedConnections(_ proxy: ProtooServer) async throws -> Int {
        try await proxy.withApp { ($0 as? ProxyApp)?.relayedConnections ?? -1 }
    }
}
