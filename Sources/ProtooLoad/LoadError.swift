/// Why a load run could not start.
public struct LoadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, with its details (the library's own code switches on it).
    package enum Kind: Sendable, Hashable {
        /// A number or name in the ``LoadConfiguration`` is out of range: fix the named field.
        case invalidConfiguration(String)
        /// The URL is not `ws://host[:port][/path][?query]` or `wss://…`.
        case invalidURL(String)
        /// No peer could connect: is a protoo server listening there, and does it accept these peer ids?
        case noPeerConnected(url: String, attempts: Int)
    }

    /// Which error this is: compare with `==` (new codes may be added in a minor release, so
    /// never switch on it exhaustively).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }
        public static let invalidConfiguration = Code("invalidConfiguration")
        public static let invalidURL = Code("invalidURL")
        public static let noPeerConnected = Code("noPeerConnected")
    }

    package let kind: Kind
    package init(_ kind: Kind) { self.kind = kind }

    /// Which error this is (see ``Code``).
    public var errorCode: Code {
        switch kind {
        case .invalidConfiguration: return .invalidConfiguration
        case .invalidURL: return .invalidURL
        case .noPeerConnected: return .noPeerConnected
        }
    }

    /// A number or name in the ``LoadConfiguration`` is out of range: fix the named field.
    public static func invalidConfiguration(_ value0: String) -> LoadError { LoadError(.invalidConfiguration(value0)) }
    /// The URL is not `ws://host[:port][/path][?query]` or `wss://…`.
    public static func invalidURL(_ value0: String) -> LoadError { LoadError(.invalidURL(value0)) }
    /// No peer could connect: is a protoo server listening there, and does it accept these peer ids?
    public static func noPeerConnected(url: String, attempts: Int) -> LoadError { LoadError(.noPeerConnected(url: url, attempts: attempts)) }

    public var description: String {
        switch kind {
        case .invalidConfiguration(let what):
            return "invalid load configuration: \(what)"
        case .invalidURL(let url):
            return "invalid protoo URL \(url): expected ws://host[:port]/path?query or wss://…"
        case .noPeerConnected(let url, let attempts):
            return "none of \(attempts) peers could connect to \(url): check that a protoo server listens there "
                + "and accepts the peerId query parameter (run with a higher log level for the refusals)"
        }
    }
}
