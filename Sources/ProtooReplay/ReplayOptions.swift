import Logging

/// How a replay runs.
public struct ReplayOptions: Sendable {
    /// What a recorded server-side close means when the live app has not closed the connection.
    public enum ServerClosePolicy: Sendable, Hashable {
        /// The replayer closes it at the recorded time (plus 1 ns, so an app closing at that very
        /// instant closes first): a trace cannot tell app closes from closes by the WebSocket layer
        /// or a fault injector. Counted in ``ReplayReport/replayerServerCloses``.
        case replayMissing
        /// The app must close it itself; otherwise the close is reported missing.
        case expect
    }

    public var rules: ReplayRules = .default
    public var seed: ReplaySeed = .automatic
    public var speed: ReplaySpeed = .maximum
    public var serverCloses: ServerClosePolicy = .replayMissing
    /// How far ahead of virtual time the trace is read (covers a live server that is early).
    public var lookahead: Duration = .seconds(10)
    /// Stop once this many connections diverged.
    public var stopAfterDivergences = 100
    /// How many of the last events a divergence shows.
    public var history = 12
    /// A trace with nothing to compare (no recorded server event reached) passes instead of
    /// being "could not run" (``ReplayReport/verdict``).
    public var allowsEmpty = false
    /// The engine's logger; `nil` keeps the app quiet.
    public var logger: Logger?

    public init() {}
}
