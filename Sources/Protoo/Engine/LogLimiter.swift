/// Keeps one source (a peer, a connection, the accept loop) from flooding the log with one kind
/// of line: per kind, the first `burst` lines pass; after that at most one line per `interval`
/// passes, carrying how many were dropped since the last one.
///
/// The caller passes the time in (the engine's scheduler time, or a NIO deadline in the
/// transport), so the limiter is deterministic and needs no clock of its own.
///
/// ```swift
/// var limiter = LogLimiter<String>(burst: 5, interval: .seconds(10))
/// if case .log(let suppressed) = limiter.admit("invalid", at: scheduler.now) { logger.warning("…", metadata: ["suppressed": "\(suppressed)"]) }
/// ```
public struct LogLimiter<Kind: Hashable & Sendable>: Sendable {
    /// What to do with one line.
    public enum Verdict: Sendable, Equatable {
        /// Log it; `suppressed` lines of its kind were dropped since the last one logged.
        case log(suppressed: Int)
        /// Drop it (it is counted).
        case suppress
    }

    private struct State: Sendable {
        var logged = 0
        var suppressed = 0
        var lastLogged: Instant
    }

    /// Lines of one kind logged before limiting starts (at least 1).
    public let burst: Int
    /// Once limited, the least time between two lines of one kind.
    public let interval: Duration
    /// Per kind, in order of first use (a few kinds: a linear search, and a deterministic order).
    private var states: [(kind: Kind, state: State)] = []

    /// A limiter; defaults: 5 lines per kind, then one per 10 s.
    public init(burst: Int = 5, interval: Duration = .seconds(10)) {
        self.burst = max(1, burst)
        self.interval = interval
    }

    /// Decides whether a line of `kind` happening at `now` is logged.
    public mutating func admit(_ kind: Kind, at now: Instant) -> Verdict {
        guard let index = states.firstIndex(where: { $0.kind == kind }) else {
            states.append((kind, State(logged: 1, lastLogged: now)))
            return .log(suppressed: 0)
        }
        var state = states[index].state
        defer { states[index].state = state }
        if state.logged < burst || now - state.lastLogged >= interval {
            let suppressed = state.suppressed
            state.logged += 1
            state.suppressed = 0
            state.lastLogged = now
            return .log(suppressed: suppressed)
        }
        state.suppressed += 1
        return .suppress
    }

    /// The lines dropped since each kind's last logged line, and resets those counts: for one
    /// closing summary (e.g. when the connection ends). Kinds with nothing dropped are left out.
    public mutating func takeSuppressed() -> [(kind: Kind, count: Int)] {
        var result: [(kind: Kind, count: Int)] = []
        for index in states.indices where states[index].state.suppressed > 0 {
            result.append((states[index].kind, states[index].state.suppressed))
            states[index].state.suppressed = 0
        }
        return result
    }
}
