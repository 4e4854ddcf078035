/// Why a ``ScenarioClient`` call failed (the server's own errors are ``ProtooError``s).
public struct ScenarioClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Which error this is: compare with `==` (new codes may be added in a minor release).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }
        /// No matching notification within the timeout.
        public static let notificationTimeout = Code("notificationTimeout")
    }

    /// Which error this is.
    public let errorCode: Code
    /// The notification's method.
    public let method: String
    /// How long the client waited.
    public let timeout: Duration

    /// No notification `method` came within `timeout`.
    public static func notificationTimeout(method: String, timeout: Duration) -> ScenarioClientError {
        ScenarioClientError(errorCode: .notificationTimeout, method: method, timeout: timeout)
    }

    public var description: String {
        "no '\(method)' notification within \(timeout) of virtual time: the server never sent it, or the script waited for the wrong one"
    }
}
