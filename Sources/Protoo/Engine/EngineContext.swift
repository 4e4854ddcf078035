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
    /// When set (a server sets it), every peer's repeatable warnings go through it: one limit for
    /// the whole server instead of one per peer.
    public var floodGuard: LogFloodGuard?
    /// Hears of peers, rooms and answered requests (a server's metrics); `nil` (the default, and
    /// in simulation): nothing is reported.
    public var observer: (any EngineObserver)?
    /// Runs the engine's async code (handlers, client scripts) on ``scheduler``.
    public private(set) lazy var executor = EngineExecutor(scheduler: scheduler)

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

    /// Reused encoding buffer: keeps its capacity, so encoding does not allocate a new array each time.
    private var scratch: [UInt8] = {
        var b: [UInt8] = []
        b.reserveCapacity(4096)
        return b
    }()

    /// Writes a message with `body` into the reusable buffer and hands its bytes to `transport`
    /// (``Transport/send(utf8:)``). The buffer is taken out for the call, so a transport that
    /// re-enters the engine encodes into a fresh one.
    @inline(__always)
    func send(on transport: any Transport, _ body: (inout [UInt8]) -> Void) {
        var buffer: [UInt8] = []
        swap(&buffer, &scratch)
        buffer.removeAll(keepingCapacity: true)
        body(&buffer)
        buffer.withUnsafeBytes { transport.send(utf8: $0) }
        swap(&buffer, &scratch)
    }

    /// ``send(on:_:)`` for a notification whose data `write` puts straight into the buffer.
    func sendNotification(on transport: any Transport, _ method: String, _ write: (inout JSONBuilder) -> Void) {
        send(on: transport) { PreEncoded.notification(method: method, into: &$0, writingData: write) }
    }
}
