/// Why a load run could not start.
public enum LoadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A number or name in the ``LoadConfiguration`` is out of range: fix the named field.
    case invalidConfiguration(String)
    /// The URL is not `ws://host[:port][/path][?query]` or `wss://…`.
    case invalidURL(String)
    /// No peer could connect: is a protoo server listening there, and does it accept these peer ids?
    case noPeerConnected(url: String, attempts: Int)

    public var description: String {
        switch self {
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
