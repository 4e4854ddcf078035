import Synchronization
import Logging
import NIOCore
import NIOPosix
import Protoo
import ProtooClient
import ProtooVerdict

/// Connected load peers, ready to run load: ``connect(_:)``, then ``run()`` (any number of times),
/// then ``close()``. ``LoadSession/run(_:)`` does all three.
///
/// ```swift
/// let report = try await LoadSession.run(LoadConfiguration(url: "ws://127.0.0.1:4443/", peers: 200, inflight: 4))
/// print(report.requestsPerSecond, report.latency.p99)
/// ```
/// The peers are ``ProtooClient``s without reconnection, sharing ``LoadConfiguration/threads``
/// event loops; each loop drives its own peers, so a request and its answer never leave their loop.
public final class LoadSession: Sendable {
    /// The configuration the session was connected with.
    public let configuration: LoadConfiguration
    /// Peers whose WebSocket opened.
    public var connectedPeers: Int { clients.count }
    /// Time to an open WebSocket of each connected peer, sorted.
    public let connectTimes: [Duration]
    private let clients: [ProtooClient]
    private let group: MultiThreadedEventLoopGroup
    /// The drivers of the run in progress, to stop it early (``stop()``).
    private let drivers = Mutex<[(loop: any EventLoop, driver: NIOLoopBound<LoopDriver>)]>([])
    private let stopped = Mutex(false)

    private init(configuration: LoadConfiguration, clients: [ProtooClient], connectTimes: [Duration], group: MultiThreadedEventLoopGroup) {
        self.configuration = configuration
        self.clients = clients
        self.connectTimes = connectTimes
        self.group = group
    }

    /// Connects, runs, closes.
    /// - Throws: ``LoadError`` when the configuration is invalid or no peer connects.
    public static func run(_ configuration: LoadConfiguration) async throws(LoadError) -> LoadReport {
        let session = try await connect(configuration)
        let report = await session.run()
        await session.close()
        return report
    }

    /// Connects ``LoadConfiguration/peers`` peers (at most ``LoadConfiguration/connectConcurrency`` at
    /// once) and returns once each is open or failed. Peers that fail are left out of the run.
    /// - Throws: ``LoadError`` when the configuration is invalid or no peer connects.
    public static func connect(_ configuration: LoadConfiguration) async throws(LoadError) -> LoadSession {
        try configuration.validate()
        // `--duration` bounds the whole run: connecting may not take longer than the load itself.
        // (Not `min(_:_:)`: with it, Swift 6.3.1 debug builds crashed releasing an uninitialized value when validate() threw.)
        let connectTimeout = configuration.duration < configuration.connectTimeout ? configuration.duration : configuration.connectTimeout
        let group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.threads)
        var clientConfiguration = ProtooClient.Configuration(reconnect: nil, connectTimeout: connectTimeout, logger: configuration.logger)
        clientConfiguration.eventLoopGroup = group
        let shared = clientConfiguration
        var opened: [(index: Int, client: ProtooClient, time: Duration)] = []
        var invalidURL: String?
        await withTaskGroup(of: ConnectOutcome.self) { tasks in
            var next = 0
            func addNext() {
                guard next < configuration.peers else { return }
                let index = next
                next += 1
                let url = PeerURL.make(configuration.url, index: configuration.firstPeer + index, prefix: configuration.peerIDPrefix)
                tasks.addTask { await connectOne(url: url, index: index, configuration: shared) }
            }
            for _ in 0..<min(configuration.connectConcurrency, configuration.peers) { addNext() }
            for await outcome in tasks {
                switch outcome {
                case .opened(let index, let client, let time): opened.append((index, client, time))
                case .failed: break
                case .invalidURL(let url): invalidURL = url
                }
                addNext()
            }
        }
        if let invalidURL {
            try? await group.shutdownGracefully()
            throw .invalidURL(invalidURL)
        }
        guard !opened.isEmpty else {
            try? await group.shutdownGracefully()
            throw .noPeerConnected(url: configuration.url, attempts: configuration.peers)
        }
        opened.sort { $0.index < $1.index }
        return LoadSession(configuration: configuration, clients: opened.map(\.client),
                           connectTimes: opened.map(\.time).sorted(), group: group)
    }

    private enum ConnectOutcome: Sendable {
        case opened(index: Int, client: ProtooClient, time: Duration)
        case failed
        case invalidURL(String)
    }

    private static func connectOne(url: String, index: Int, configuration: ProtooClient.Configuration) async -> ConnectOutcome {
        let clock = ContinuousClock()
        let started = clock.now
        let client: ProtooClient
        do {
            client = try await ProtooClient.start(url: url, configuration: configuration)
        } catch {
            return .invalidURL(url)
        }
        // Without reconnection the first event is `open`, or `failed(1)` then `close`.
        for await event in client.events {
            if event == .open { return .opened(index: index, client: client, time: clock.now - started) }
            break
        }
        await client.close()
        return .failed
    }

    /// Runs the configured load on the connected peers and reports it. Repeatable.
    public func run() async -> LoadReport {
        let configuration = self.configuration
        let data: JSONValue = configuration.payloadBytes == 0
            ? .emptyObject : ["payload": .string(String(repeating: "x", count: configuration.payloadBytes))]
        var byLoop: [ObjectIdentifier: (loop: any EventLoop, clients: [ProtooClient])] = [:]
        for client in clients {
            byLoop[ObjectIdentifier(client.eventLoop), default: (client.eventLoop, [])].clients.append(client)
        }
        var futures: [EventLoopFuture<LoadStatistics>] = []
        for (loop, loopClients) in byLoop.values {
            let share = configuration.rate.map { $0 * Double(loopClients.count) / Double(clients.count) }
            futures.append(loop.flatSubmit { [self] in
                let driver = LoopDriver(loop: loop, clients: loopClients, method: configuration.method, data: data,
                                        window: configuration.inflight, duration: configuration.duration,
                                        drainTimeout: configuration.drainTimeout, rate: share)
                drivers.withLock { $0.append((loop, NIOLoopBound(driver, eventLoop: loop))) }
                let done = driver.start()
                if stopped.withLock({ $0 }) { driver.stopIssuing() }
                return done
            })
        }
        var total = LoadStatistics()
        for future in futures {
            // A driver's future always succeeds (the loops outlive the session's runs).
            if let stats = try? await future.get() { total.merge(stats) }
        }
        return report(total)
    }

    private func report(_ stats: LoadStatistics) -> LoadReport {
        let elapsed = Double(stats.endNanoseconds &- stats.startNanoseconds) / 1e9
        let finished = stats.completed + stats.errors.values.reduce(0, +)
        func milliseconds(_ duration: Duration?) -> Double { duration.map { Double($0.nanoseconds) / 1e6 } ?? 0 }
        var measurements = Measurements()
        measurements.latency[configuration.method] = stats.latency
        measurements.requests[configuration.method] = stats.issued
        measurements.errors[configuration.method] = stats.errors.values.reduce(0, +) + stats.unfinished
        var report = LoadReport(
            url: configuration.url, mode: configuration.rate == nil ? "closed" : "open", method: configuration.method,
            payloadBytes: configuration.payloadBytes, inflight: configuration.inflight, rate: configuration.rate,
            peersRequested: configuration.peers, peersConnected: clients.count,
            connectTimeP50Milliseconds: milliseconds(connectTimes.isEmpty ? nil : connectTimes[(connectTimes.count - 1) / 2]),
            connectTimeMaxMilliseconds: milliseconds(connectTimes.last),
            durationSeconds: Double(configuration.duration.nanoseconds) / 1e9, elapsedSeconds: elapsed,
            issued: stats.issued, completed: stats.completed, errors: stats.errors, droppedArrivals: stats.droppedArrivals,
            unfinished: stats.unfinished, requestsPerSecond: elapsed > 0 ? Double(finished) / elapsed : 0,
            latency: stats.latencySummary)
        report.measurements = measurements
        return report
    }

    /// Stops the run in progress now (a SIGINT): no new request is issued, those in flight are
    /// drained, and ``run()`` returns what was measured up to there. Any thread.
    public func stop() {
        stopped.withLock { $0 = true }
        for entry in drivers.withLock({ $0 }) { entry.loop.execute { entry.driver.value.stopIssuing() } }
    }

    /// Closes every peer (close frame 1000) and stops the event loops. Idempotent.
    public func close() async {
        await withTaskGroup(of: Void.self) { tasks in
            for client in clients { tasks.addTask { await client.close() } }
        }
        try? await group.shutdownGracefully()
    }
}
