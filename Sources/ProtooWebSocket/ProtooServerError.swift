/// Why a ``ProtooServer`` could not start.
public struct ProtooServerError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, with its details (the library's own code switches on it).
    package enum Kind: Sendable, Hashable {
        /// The TLS certificate or key could not be loaded: check the paths and that both are PEM.
        case invalidTLSFiles(certificatePath: String, privateKeyPath: String, underlying: String)
        /// Binding failed (port in use, bad host): pick another port or host, or use port 0.
        case bindFailed(host: String, port: Int, underlying: String)
        /// The server was shut down: start a new one.
        case shutDown
    }

    /// Which error this is: compare with `==` (new codes may be added in a minor release, so
    /// never switch on it exhaustively).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }
        public static let invalidTLSFiles = Code("invalidTLSFiles")
        public static let bindFailed = Code("bindFailed")
        public static let shutDown = Code("shutDown")
    }

    package let kind: Kind
    package init(_ kind: Kind) { self.kind = kind }

    /// Which error this is (see ``Code``).
    public var errorCode: Code {
        switch kind {
        case .invalidTLSFiles: return .invalidTLSFiles
        case .bindFailed: return .bindFailed
        case .shutDown: return .shutDown
        }
    }

    /// The TLS certificate or key could not be loaded: check the paths and that both are PEM.
    public static func invalidTLSFiles(certificatePath: String, privateKeyPath: String, underlying: String) -> ProtooServerError { ProtooServerError(.invalidTLSFiles(certificatePath: certificatePath, privateKeyPath: privateKeyPath, underlying: underlying)) }
    /// Binding failed (port in use, bad host): pick another port or host, or use port 0.
    public static func bindFailed(host: String, port: Int, underlying: String) -> ProtooServerError { ProtooServerError(.bindFailed(host: host, port: port, underlying: underlying)) }
    /// The server was shut down: start a new one.
    public static let shutDown = ProtooServerError(.shutDown)

    public var description: String {
        switch kind {
        case .invalidTLSFiles(let cert, let key, let underlying):
            return "cannot load TLS certificate \(cert) / key \(key): \(underlying); pass PEM files"
        case .bindFailed(let host, let port, let underlying):
            return "cannot listen on \(host):\(port): \(underlying); choose another host/port (0 = any free port)"
        case .shutDown:
            return "the server is shut down; start a new ProtooServer"
        }
    }
}
