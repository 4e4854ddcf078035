/// Why a proxy could not be configured. Each case says what to change.
public struct ProxyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, with its details (the library's own code switches on it).
    package enum Kind: Sendable, Hashable {
        /// The upstream is not `ws://HOST:PORT` or `wss://HOST:PORT`.
        case invalidUpstream(String, problem: String)
        /// A fault knob is out of range.
        case invalidFaults(String)
    }

    /// Which error this is: compare with `==` (new codes may be added in a minor release, so
    /// never switch on it exhaustively).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }
        public static let invalidUpstream = Code("invalidUpstream")
        public static let invalidFaults = Code("invalidFaults")
    }

    package let kind: Kind
    package init(_ kind: Kind) { self.kind = kind }

    /// Which error this is (see ``Code``).
    public var errorCode: Code {
        switch kind {
        case .invalidUpstream: return .invalidUpstream
        case .invalidFaults: return .invalidFaults
        }
    }

    /// The upstream is not `ws://HOST:PORT` or `wss://HOST:PORT`.
    public static func invalidUpstream(_ value0: String, problem: String) -> ProxyError { ProxyError(.invalidUpstream(value0, problem: problem)) }
    /// A fault knob is out of range.
    public static func invalidFaults(_ value0: String) -> ProxyError { ProxyError(.invalidFaults(value0)) }

    public var description: String {
        switch kind {
        case .invalidUpstream(let url, let problem):
            return "invalid upstream \(url): \(problem); give ws://HOST:PORT or wss://HOST:PORT (each client's own path and query are forwarded)"
        case .invalidFaults(let problem):
            return "invalid faults: \(problem)"
        }
    }
}
