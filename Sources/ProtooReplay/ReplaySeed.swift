import ProtooTrace

/// The seed of the replaying engine's random source (request ids, and whatever the app draws).
///
/// With the recording's seed the app draws the same values, so its output is byte-identical and
/// the rules only matter for real regressions. Production traces have no seed: then server-chosen
/// values differ and the rules (``ReplayRules``) map them.
public enum ReplaySeed: Sendable, Hashable {
    /// The trace's seed when it has one (for `protoo simulate` traces, the server stream that
    /// simulation derived from it), else 0.
    case automatic
    /// This engine seed, as is.
    case fixed(UInt64)

    /// The engine seed to use for a trace with `header`.
    public func engineSeed(for header: TraceHeader) -> UInt64 {
        switch self {
        case .fixed(let seed): return seed
        case .automatic:
            guard let seed = header.seed else { return 0 }
            return header.producerName == Self.simulatorProducerName ? Self.simulationServerSeed(seed) : seed
        }
    }

    /// The producer name `protoo simulate --record` writes in the trace header.
    public static let simulatorProducerName = "protoo simulate"

    /// The server random stream `Simulation` derives from its seed (`seed ^ "SERV"`); a test pins
    /// this to the simulator so the two cannot drift apart.
    public static func simulationServerSeed(_ seed: UInt64) -> UInt64 { seed ^ 0x5345_5256 }
}
