import Logging

/// What an engine runs on: one scheduler (time and deferred work), one random source, one logger.
///
/// Create one per event loop (production) or per simulation run. Everything built on it, peers,
/// rooms and apps, must only be touched from callbacks its scheduler runs.
public final class EngineContext {
    public let scheduler: any Scheduler
    /// The engine's only randomness: request ids and anything the app draws.
    /// (Unchecked exclusivity here and on `scratch`: drawing and encoding never call back into
    /// the context, and a dynamic check on every message is measurable.)
    @exclusivity(unchecked) public var random: SeededRandom
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

    /// Reused encoding buffer: keeps its capacity, so encoding does not allocate a new array each time.
    @exclusivity(unchecked) private var scratch: [UInt8] = {
        var b: [UInt8] = []
        b.reserveCapacity(4096)
        return b
    }()

    /// The wire text of `message`, encoded through the context's reusable buffer.
    func encode(_ message: Message) -> String {
        scratch.removeAll(keepingCapacity: true)
        message.encode(into: &scratch)
        return String(decoding: scratch, as: UTF8.self)
    }

    /// The wire text written by `body` into the reusable buffer.
    @inline(__always)
    func encode(_ body: (inout [UInt8]) -> Void) -> String {
        scratch.removeAll(keepingCapacity: true)
        body(&scratch)
        return String(decoding: scratch, as: UTF8.self)
    }

    /// A notification whose data `write` puts straight into the reusable buffer.
    func encodeNotification(_ method: String, _ write: (inout JSONBuilder) -> Void) -> String {
        scratch.removeAll(keepingCapacity: true)
        PreEncoded.notificationHead(method: method, into: &scratch)
        var builder = JSONBuilder(bytes: [])
        swap(&builder.bytes, &scratch)
        write(&builder)
        swap(&builder.bytes, &scratch)
        scratch.append(UInt8(ascii: "}"))
        return String(decoding: scratch, as: UTF8.self)
    }
}
