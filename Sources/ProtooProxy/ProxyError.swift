/// Why a proxy could not be configured. Each case says what to change.
public enum ProxyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The upstream is not `ws://HOST:PORT` or `wss://HOST:PORT`.
    case invalidUpstream(String, problem: String)
    /// A fault knob is out of range.
    case invalidFaults(String)

    public var description: String {
        switch self {
        case .invalidUpstream(let url, let problem):
            return "invalid upstream \(url): \(problem); give ws://HOST:PORT or wss://HOST:PORT (each client's own path and query are forwarded)"
        case .invalidFaults(let problem):
            return "invalid faults: \(problem)"
        }
    }
}
