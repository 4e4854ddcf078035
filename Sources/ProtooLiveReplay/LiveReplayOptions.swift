import ProtooReplay
import ProtooVerdict

/// How a live replay runs (see ``LiveReplayer``).
public struct LiveReplayOptions: Sendable {
    /// The rules of in-process replay: which values are volatile, which methods are skipped.
    public var rules: ReplayRules = .default
    /// `max` sends each recorded client event as soon as the server events recorded before it
    /// have arrived; a pace (`1x`, `10x`) also waits for its recorded offset.
    public var speed: ReplaySpeed = .maximum
    /// How long a client event waits for the server events recorded before it; then it is sent
    /// anyway and the late ones are still looked for (and reported missing if they never come).
    public var waitForServer: Duration = .seconds(5)
    /// After the last client event, how long to wait for server events still expected.
    public var settle: Duration = .seconds(3)
    /// Recorded upgrade headers sent again (case-insensitive names).
    public var forwardedHeaders: [String] = ["origin", "user-agent", "cookie", "authorization"]
    /// How long a connection (TCP, TLS and the WebSocket upgrade) may take before it counts as
    /// failed; also how long the target may take to accept the first TCP connection, which the
    /// replay makes before anything else (an unreachable target is "could not run").
    public var connectTimeout: Duration = .seconds(10)
    /// Pass/fail criteria on what the replay measured, besides the comparison (e.g. `p99<50ms`).
    public var thresholds: [Threshold] = []
    /// Nothing compared (no recorded server event, or none reached) is a pass instead of "could
    /// not run" (exit 2).
    public var allowsEmpty = false
    /// Stop comparing once this many connections diverged.
    public var stopAfterDivergences = 100
    /// How many of the last events a divergence shows.
    public var history = 12

    public init() {}
}
