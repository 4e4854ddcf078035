import Metrics
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import ProtooTrace

/// `--metrics HOST:PORT`: bootstraps swift-metrics with a Prometheus registry and serves it as
/// `GET /metrics` (text exposition format 0.0.4) on its own small HTTP listener.
final class MetricsEndpoint: Sendable {
    let port: Int
    private let channel: any Channel
    private let group: MultiThreadedEventLoopGroup

    private init(port: Int, channel: any Channel, group: MultiThreadedEventLoopGroup) {
        self.port = port
        self.channel = channel
        self.group = group
    }

    /// Bootstraps the process's metrics system with a Prometheus registry (once per process) and
    /// listens on `host:port` (0: any free port).
    static func start(host: String, port: Int) async throws -> MetricsEndpoint {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        try channel.pipeline.syncOperations.addHandler(MetricsHandler(registry: registry))
                    }
                }
                .bind(host: host, port: port).get()
            return MetricsEndpoint(port: channel.localAddress?.port ?? port, channel: channel, group: group)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// `--metrics HOST:PORT` if given (the listener, its port said on stderr), and the
    /// recorder's sampling if recording.
    static func start(_ option: String?, recorder: TraceRecorder?, tool: String) async throws -> (MetricsEndpoint?, Task<Void, Never>?) {
        var endpoint: MetricsEndpoint?
        if let option, let address = hostPort(option) {
            let started = try await start(host: address.host, port: address.port)
            endpoint = started
            writeToStandardError("\(tool): metrics on http://\(address.host):\(started.port)/metrics\n")
        }
        return (endpoint, recorder.map { recorder in Task { await RecorderMetrics.sample(recorder) } })
    }

    func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }
}

/// Answers `GET /metrics` with the registry's text, anything else 404.
private final class MetricsHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let registry: PrometheusCollectorRegistry
    private var head: HTTPRequestHead?

    init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end: respond(context: context)
        }
    }

    private func respond(context: ChannelHandlerContext) {
        let found = head.map { $0.method == .GET && $0.uri.split(separator: "?").first == "/metrics" } ?? false
        var body: [UInt8] = []
        if found {
            registry.emit(into: &body)
            body = Array(MetricsHelp.annotate(String(decoding: body, as: UTF8.self)).utf8)
        } else {
            body = Array("not found: GET /metrics\n".utf8)
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: found ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: "\(body.count)")
        let keepAlive = head?.isKeepAlive ?? false
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: found ? .ok : .notFound, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            if !keepAlive { context.close(promise: nil) }
        }
        head = nil
    }
}

/// `# HELP` lines for the exposition: swift-metrics has no help text, and `promtool check metrics`
/// wants one for every family. Each `# TYPE name` line gets its family's help before it.
enum MetricsHelp {
    static let texts: [String: String] = [
        "protoo_connections": "Open protoo WebSocket connections.",
        "protoo_peers": "Peers in the server's rooms.",
        "protoo_rooms": "Open rooms.",
        "protoo_requests_total": "Requests the server answered, by method and outcome (ok, error).",
        "protoo_request_duration_seconds": "Time from a request's arrival to its answer, by method.",
        "protoo_notifications_total": "Notifications received (in) and sent (out).",
        "protoo_connection_refusals_total": "WebSocket upgrades refused, by HTTP status.",
        "protoo_bytes_total": "Bytes of protoo messages received (in) and sent (out).",
        "protoo_recorder_buffer_bytes": "Bytes the trace recorder holds, not yet written.",
        "protoo_recorder_dropped_records_total": "Trace records dropped because the recorder's buffer was full.",
        "protoo_proxy_connections": "Client connections the proxy relays.",
        "protoo_proxy_bytes_total": "Bytes of messages the proxy relayed, by direction (in: client to server, out: server to client).",
        "protoo_proxy_faults_total": "Faults the proxy injected, by kind.",
    ]

    static func annotate(_ text: String) -> String {
        var lines: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# TYPE "), let name = line.dropFirst(7).split(separator: " ").first {
                let help = texts[String(name)] ?? "\(name)"
                lines.append("# HELP \(name) \(help)")
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
