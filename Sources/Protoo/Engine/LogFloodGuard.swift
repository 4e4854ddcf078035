import Logging

/// Keeps a whole server's connections from writing one log line each: 10,000 connections that
/// each send an unmasked frame, or 2,000 keep-alive drops, must not make 10,000 lines. Per kind of
/// line (its message), server-wide, the first 5 pass; then at most one per 10 s, carrying how many
/// were dropped since the last one (`sinceLastLine`), and when lines were dropped a summary follows
/// within 10 s ("N more like this: …"). Lives on the engine's scheduler (a server's event loop),
/// so it is deterministic on virtual time.
public final class LogFloodGuard {
    private var limiter: LogLimiter<String>
    private let scheduler: any Scheduler
    private let logger: Logger
    private let interval: Duration
    private var summaryArmed = false
    private var levels: [String: Logger.Level] = [:]

    public init(scheduler: any Scheduler, logger: Logger, burst: Int = 5, interval: Duration = .seconds(10)) {
        self.scheduler = scheduler
        self.logger = logger
        self.interval = interval
        limiter = LogLimiter(burst: burst, interval: interval)
    }

    /// Logs `message` through `logger` (its per-connection metadata kept) unless too many lines
    /// like it were logged lately; `message` is the kind, so it must not hold client text (put
    /// that in `metadata`, escaped).
    public func log(_ level: Logger.Level, _ message: String, metadata: @autoclosure () -> Logger.Metadata = [:], through logger: Logger? = nil) {
        switch limiter.admit(message, at: scheduler.now) {
        case .log(let suppressed):
            var m = metadata()
            if suppressed > 0 { m["sinceLastLine"] = "\(suppressed)" }
            (logger ?? self.logger).log(level: level, "\(message)", metadata: m)
        case .suppress:
            if levels[message] == nil { levels[message] = level }
            armSummary()
        }
    }

    private func armSummary() {
        guard !summaryArmed else { return }
        summaryArmed = true
        scheduler.schedule(after: interval) { [weak self] in self?.summarize() }
    }

    private func summarize() {
        summaryArmed = false
        for (kind, count) in limiter.takeSuppressed() {
            logger.log(level: levels[kind] ?? .warning, "\(count) more like this in the last \(interval): \(kind)")
        }
    }
}
