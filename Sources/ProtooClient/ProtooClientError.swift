/// Why a ``ProtooClient`` call failed before reaching the server. Errors from the server side are
/// `ProtooError` (`.rejected(code:reason:)`, `.requestTimeout`, `.peerClosed`).
public struct ProtooClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, with its details (the library's own code switches on it).
    package enum Kind: Sendable, Hashable {
        /// The URL is not `ws://host[:port][/path][?query]` or `wss://…`.
        case invalidURL(String)
        /// Not connected right now (connecting or reconnecting): wait for the `open` event and retry.
        case notConnected
        /// The client is closed for good: create a new one.
        case closed
    }

    /// Which error this is: compare with `==` (new codes may be added in a minor release, so
    /// never switch on it exhaustively).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }
        public static let invalidURL = Code("invalidURL")
        public static let notConnected = Code("notConnected")
        public static let closed = Code("closed")
    }

    package let kind: Kind
    package init(_ kind: Kind) { self.kind = kind }

    /// Which error this is (see ``Code``).
    public var errorCode: Code {
        switch kind {
        case .invalidURL: return .invalidURL
        case .notConnected: return .notConnected
        case .closed: return .closed
        }
    }

    /// The URL is not `ws://host[:port][/path][?query]` or `wss://…`.
    public static func invalidURL(_ value0: String) -> ProtooClientError { ProtooClientError(.invalidURL(value0)) }
    /// Not connected right now (connecting or reconnecting): wait for the `open` event and retry.
    public static let notConnected = ProtooClientError(.notConnected)
    /// The client is closed for good: create a new one.
    public static let closed = ProtooClientError(.closed)

    public var description: String {
        switch kind {
        case .invalidURL(let url): return "invalid protoo URL \(url): expected ws://host[:port]/path?query or wss://…"
        case .notConnected: return "not connected: wait for the open event"
        case .closed: return "client closed: create a new ProtooClient"
        }
    }
}
