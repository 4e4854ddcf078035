import Logging

/// What an engine runs on: one scheduler (time and deferred work), one random source, one logger.
///
/// Create one per event loop (production) or per simulation run. Everything built on it, peers,
/// rooms and apps, must only be touched from callbacks its scheduler runs.
public final class EngineContext {
    public let scheduler: any Scheduler
    /// The engine's only randomness: request ids and anything the app draws.
    public var random: SeededRandom
    public let logger: Logger

    public init(scheduler: any Scheduler, random: SeededRandom, logger: Logger = Logger(label: "protoo")) {
        self.scheduler = scheduler
        self.random = random
        self.logger = logger
    }

    /// A context on a fresh ``VirtualScheduler`` with a seeded generator (tests and simulation).
    public static func virtual(seed: UInt64 = 0, logger: Logger = Logger(label: "protoo")) -> (EngineContext, VirtualScheduler) {
        let scheduler = VirtualScheduler()
        return (EngineContext(scheduler: scheduler, random: SeededRandom(seed: seed), logger: logger), scheduler)
    }

    /// The current time on the scheduler's clock.
    public var now: Instant { scheduler.now }
}
