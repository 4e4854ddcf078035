/// Why a ``ProtooServer`` could not start.
public enum ProtooServerError: Error, Sendable, CustomStringConvertible {
    /// The TLS certificate or key could not be loaded: check the paths and that both are PEM.
    case invalidTLSFiles(certificatePath: String, privateKeyPath: String, underlying: String)
    /// Binding failed (port in use, bad host): pick another port or host, or use port 0.
    case bindFailed(host: String, port: Int, underlying: String)
    /// The server was shut down: start a new one.
    case shutDown

    public var description: String {
        switch self {
        case .invalidTLSFiles(let cert, let key, let underlying):
            return "cannot load TLS certificate \(cert) / key \(key): \(underlying); pass PEM files"
        case .bindFailed(let host, let port, let underlying):
            return "cannot listen on \(host):\(port): \(underlying); choose another host/port (0 = any free port)"
        case .shutDown:
            return "the server is shut down; start a new ProtooServer"
        }
    }
}
