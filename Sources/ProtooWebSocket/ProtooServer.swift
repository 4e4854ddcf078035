import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
@_exported import ProtooWebSocketCore
import Protoo

/// A protoo WebSocket server (`ws://` or `wss://`) running one app on one event loop.
///
/// ```swift
/// let server = try await ProtooServer.start(.init(port: 0), app: BuiltInApps.factory(named: "conformance")!)
/// print(server.port)
/// await server.shutdown()
/// ```
/// Listening socket, connections and engine all run on one NIO event loop, so the app (not
/// `Sendable`) is only ever touched from that loop. Upgrades without subprotocol `protoo` get 403;
/// an upgrade the app neither accepts nor rejects inside `handleConnection` gets 500, unless it
/// called `request.deferDecision()` there: the upgrade then waits for its later `accept()` or
/// `reject()` on this loop, up to the handshake timeout (then the TCP connection is closed and a
/// trace shows only the request). Limits on
/// handshakes, connections and memory, and the RFC 6455 checks, are listed in `docs/limits.md`.
public final class ProtooServer: Sendable {
    /// The address the server listens on (with the real port when started on port 0).
    public let localAddress: SocketAddress
    /// The loop that runs the server and its app.
    public let eventLoop: any EventLoop
    private let group: MultiThreadedEventLoopGroup
    private let serverChannel: any Channel
    private let core: NIOLoopBound<ServerCore>
    private let isShutDown = NIOLockedValueBox(false)

    /// The TCP port listened on.
    public var port: Int { localAddress.port ?? 0 }

    private init(localAddress: SocketAddress, group: MultiThreadedEventLoopGroup, serverChannel: any Channel, core: NIOLoopBound<ServerCore>) {
        self.localAddress = localAddress
        self.eventLoop = core.eventLoop
        self.group = group
        self.serverChannel = serverChannel
        self.core = core
    }

    /// Builds the app with `factory` on a new event loop and starts listening.
    /// - Throws: ``ProtooServerError`` when the TLS files cannot be loaded or the address cannot be bound.
    public static func start(_ configuration: Configuration, app factory: @escaping ProtooAppFactory) async throws -> ProtooServer {
        let ssl = try configuration.tls.map(makeSSLContext)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        do {
            let core = try await loop.submit {
                NIOLoopBound(ServerCore(configuration: configuration, factory: factory, eventLoop: loop), eventLoop: loop)
            }.get()
            let channel: any Channel
            do {
                let logger = configuration.logger, retryDelay = acceptRetryDelay
                channel = try await ServerBootstrap(group: loop)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .serverChannelOption(.backlog, value: Int32(clamping: configuration.listenBacklog))
                    .serverChannelInitializer { channel in
                        // Out of file descriptors (EMFILE/ENFILE), accept() fails while the listening
                        // socket stays readable: pause accepting instead of retrying in a busy loop.
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(AcceptErrorHandler(logger: logger, retryDelay: retryDelay))
                        }
                    }
                    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                    .childChannelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture { try core.value.initialize(channel, ssl: ssl) }
                    }
                    .bind(host: configuration.host, port: configuration.port).get()
            } catch {
                throw ProtooServerError.bindFailed(host: configuration.host, port: configuration.port, underlying: "\(error)")
            }
            guard let address = channel.localAddress else {
                throw ProtooServerError.bindFailed(host: configuration.host, port: configuration.port, underlying: "no local address")
            }
            configuration.logger.info("listening", metadata: ["address": "\(configuration.tls == nil ? "ws" : "wss")://\(configuration.host):\(address.port ?? 0)"])
            return ProtooServer(localAddress: address, group: group, serverChannel: channel, core: core)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// How long accepting pauses after `accept()` failed (e.g. out of file descriptors).
    static let acceptRetryDelay: Duration = .milliseconds(500)

    private static func makeSSLContext(_ tls: Configuration.TLS) throws -> NIOSSLContext {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(tls.certificatePath).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(file: tls.privateKeyPath, format: .pem)
            return try NIOSSLContext(configuration: .makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key)))
        } catch {
            throw ProtooServerError.invalidTLSFiles(certificatePath: tls.certificatePath, privateKeyPath: tls.privateKeyPath, underlying: "\(error)")
        }
    }

    /// Stops accepting new protoo connections (they get HTTP 503); connected peers keep working.
    public func stop() async {
        guard !isShutDown.withLockedValue({ $0 }) else { return }
        let core = self.core
        try? await eventLoop.submit { core.value.stopAccepting() }.get()
    }

    /// Graceful shutdown: stop accepting, let async request handlers still running finish (or
    /// cancel them) within ``Configuration/shutdownGracePeriod``, `app.shutdown()`, close remaining connections with 4000,
    /// wait for their close handshakes (bounded by ``Configuration/shutdownGracePeriod``), stop
    /// listening and end the event loop. Idempotent.
    public func shutdown() async {
        let first = isShutDown.withLockedValue { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        let core = self.core
        // Handlers still awaiting finish (or are cancelled) while their peers are still open.
        let executor = try? await eventLoop.flatSubmit { core.value.settleHandlers() }.get()
        try? await eventLoop.flatSubmit { core.value.shutdown() }.get()
        try? await serverChannel.close()
        executor?.close()
        try? await group.shutdownGracefully()
    }

    /// Drains the server for a deploy or a scale-down: stops accepting (the health check,
    /// ``Configuration/healthCheckPath``, answers 503 and new upgrades get 503), closes every peer
    /// with 1012 (service restart), on which protoo-client reconnects (through the balancer, to
    /// another server; never 4000, on which it would give up), lets request handlers still running
    /// finish within `timeout` (default ``Configuration/drainTimeout``), shuts the app down and
    /// stops. Idempotent with ``shutdown()``: whichever runs first does the work.
    public func drain(timeout: Duration? = nil) async {
        let first = isShutDown.withLockedValue { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        let core = self.core
        try? await eventLoop.flatSubmit { core.value.closeForRestart() }.get()
        let executor = try? await eventLoop.flatSubmit { core.value.settleHandlers(within: timeout ?? core.value.configuration.drainTimeout) }.get()
        try? await eventLoop.submit { core.value.shutDownApp() }.get()
        try? await serverChannel.close()
        executor?.close()
        try? await group.shutdownGracefully()
    }

    /// Runs `body` on the server's event loop with its app (inspection, tests, admin hooks).
    /// - Throws: ``ProtooServerError/shutDown`` after ``shutdown()``, or what `body` throws.
    public func withApp<T: Sendable>(_ body: @escaping @Sendable (any ProtooApp) throws -> T) async throws -> T {
        guard !isShutDown.withLockedValue({ $0 }) else { throw ProtooServerError.shutDown }
        let core = self.core
        return try await eventLoop.submit { try body(core.value.app) }.get()
    }
}
