/// Why a scenario load could not start.
public struct ScenarioLoadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of error.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }
        /// The URL is not `ws://…` or `wss://…`.
        public static let invalidURL = Code("invalidURL")
        /// A knob is out of range.
        public static let invalidConfiguration = Code("invalidConfiguration")
        /// `wss://` with a TLS configuration NIOSSL refused.
        public static let tls = Code("tls")
    }

    /// The kind of error.
    public let errorCode: Code
    /// What to fix.
    public let message: String

    public static func invalidURL(_ url: String) -> ScenarioLoadError {
        ScenarioLoadError(errorCode: .invalidURL, message: "'\(url)' is not a ws:// or wss:// URL (ws://host:port/path?query)")
    }

    public static func invalidConfiguration(_ message: String) -> ScenarioLoadError {
        ScenarioLoadError(errorCode: .invalidConfiguration, message: message)
    }

    public static func tls(_ error: any Error) -> ScenarioLoadError {
        ScenarioLoadError(errorCode: .tls, message: "TLS configuration refused: \(error)")
    }

    public var description: String { message }
}
