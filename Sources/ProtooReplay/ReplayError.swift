import ProtooTrace

/// Why a replay could not run (a divergence is not an error: it is in the ``ReplayReport``).
/// Each case says what to do next.
public struct ReplayError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, with its details (the library's own code switches on it).
    package enum Kind: Sendable, Hashable {
        /// The trace could not be read.
        case trace(TraceError)
        /// The rules file is not valid.
        case invalidRules(source: String, reason: String)
        /// No app is registered under this name.
        case unknownApp(name: String, known: [String])
    }

    /// Which error this is: compare with `==` (new codes may be added in a minor release, so
    /// never switch on it exhaustively).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }
        public static let trace = Code("trace")
        public static let invalidRules = Code("invalidRules")
        public static let unknownApp = Code("unknownApp")
    }

    package let kind: Kind
    package init(_ kind: Kind) { self.kind = kind }

    /// Which error this is (see ``Code``).
    public var errorCode: Code {
        switch kind {
        case .trace: return .trace
        case .invalidRules: return .invalidRules
        case .unknownApp: return .unknownApp
        }
    }

    /// The trace could not be read.
    public static func trace(_ value0: TraceError) -> ReplayError { ReplayError(.trace(value0)) }
    /// The rules file is not valid.
    public static func invalidRules(source: String, reason: String) -> ReplayError { ReplayError(.invalidRules(source: source, reason: reason)) }
    /// No app is registered under this name.
    public static func unknownApp(name: String, known: [String]) -> ReplayError { ReplayError(.unknownApp(name: name, known: known)) }

    public var description: String {
        switch kind {
        case .trace(let error):
            return "cannot read the trace: \(error)"
        case .invalidRules(let source, let reason):
            return "invalid replay rules in \(source): \(reason); see docs/replay.md for the rules format"
        case .unknownApp(let name, let known):
            return "unknown app '\(name)'; use one of: \(known.joined(separator: ", "))"
        }
    }
}
