import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Protoo
import ProtooClient
import ProtooSimulator
import ProtooWebSocketCore

/// The simulator's clients against any protoo server, over real WebSockets: every client of a
/// ``SimulationScenario`` (its script or behavior, unchanged) runs on a real connection, on the
/// wall clock, with the run's faults injected into those connections and the clients'
/// invariants checked all along.
///
/// ```swift
/// var configuration = ScenarioLoad.Configuration(url: "ws://127.0.0.1:4443/")
/// configuration.clients.rooms = 20
/// configuration.clients.duration = .seconds(60)
/// configuration.clients.faults = .light
/// let report = try await ScenarioLoad(configuration, scenario: .echo).run()
/// print(report.text)                                    // what `protoo load --scenario` prints
/// ```
///
/// The same seed makes the same clients (peer ids, arrivals, answer styles) and the same fault
/// schedule as ``Simulation`` does; what the server answers, and when, is up to the server.
public struct ScenarioLoad: Sendable {
    public let configuration: Configuration
    public let scenario: SimulationScenario

    public init(_ configuration: Configuration, scenario: SimulationScenario) {
        var configuration = configuration
        configuration.clients.scenario = .init(rawValue: scenario.name)
        self.configuration = configuration
        self.scenario = scenario
    }

    /// Runs the load to its end (``Configuration/clients``' duration, then the last closes).
    /// - Throws: ``ScenarioLoadError`` when it cannot start (URL, knobs, TLS). Everything the
    ///   server does (refusals, errors, broken invariants) is in the report.
    public func run(progress: ScenarioLoadProgress? = nil, control: ScenarioLoadControl? = nil) async throws(ScenarioLoadError) -> ScenarioLoadReport {
        try configuration.validate()
        let base: WebSocketURL
        do { base = try WebSocketURL(configuration.url) } catch { throw .invalidURL(configuration.url) }
        var ssl: NIOSSLContext?
        if base.secure {
            do { ssl = try NIOSSLContext(configuration: configuration.tls ?? .makeClientConfiguration()) } catch { throw .tls(error) }
        }
        let usage = ResourceUsage.now()
        let clock = ContinuousClock()
        let startTime = clock.now
        let group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.threads)
        let keys = configuration.clients.clientKeys
        let loops = (0..<configuration.threads).map { _ in group.next() }
        var hosts: [NIOLoopBound<LoopHost>] = []
        for (index, loop) in loops.enumerated() {
            let mine = keys.filter { $0.room % loops.count == index }
            let configuration = self.configuration, scenario = self.scenario, ssl = ssl
            // Each host is made on its loop (its engine objects belong there).
            if let host = try? await loop.submit({
                let options = Self.dialOptions(configuration, ssl: ssl)
                return NIOLoopBound(LoopHost(loop: loop, index: index, configuration: configuration, scenario: scenario, keys: mine,
                                      base: base, options: options, progress: progress), eventLoop: loop)
            }).get() {
                hosts.append(host)
            }
        }
        let started = hosts
        let futures = started.map { host in host.eventLoop.flatSubmit { host.value.start() } }
        control?.onStop { for host in started { host.eventLoop.execute { host.value.stop() } } }
        var tally = ScenarioLoadTally()
        for future in futures {
            if let loopTally = try? await future.get() { tally.merge(loopTally) }
        }
        let elapsed = clock.now - startTime
        try? await group.shutdownGracefully()
        return ScenarioLoadReport(configuration: configuration, tally: tally, elapsed: elapsed, usage: ResourceUsage.now() - usage,
                                  interrupted: control?.isStopped ?? false)
    }
}

extension ScenarioLoad {
    /// How every client dials: the configuration's headers, timeout and TLS, protoo-client's limits.
    static func dialOptions(_ configuration: Configuration, ssl: NIOSSLContext?) -> WebSocketDialer.Options {
        var options = WebSocketDialer.Options()
        options.headers = configuration.headers
        options.limits = ProtooClient.defaultLimits
        options.connectTimeout = configuration.connectTimeout
        options.sslContext = ssl
        options.logger = configuration.logger
        return options
    }
}
