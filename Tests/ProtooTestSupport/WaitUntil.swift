import Testing

/// The test waited for something that did not happen.
public struct TimedOut: Error, CustomStringConvertible {
    public var what: String
    public var description: String { "timed out waiting for: \(what)" }
}

/// Checks `condition` until it holds, and returns as soon as it does; records an issue and throws
/// ``TimedOut`` when it still does not hold after `timeout`.
///
/// For events that happen on other threads (a socket, a child process). The timeout is a generous
/// bound for a loaded machine, never a measurement: no test may depend on how long this took, and
/// a behaviour that depends on time (a deadline, a keep-alive) is tested on virtual time instead.
public func waitUntil(_ what: @autoclosure () -> String, timeout: Duration = .seconds(20),
                      isolation: isolated (any Actor)? = #isolation, sourceLocation: SourceLocation = #_sourceLocation,
                      _ condition: () async throws -> Bool) async throws {
    if try await eventually(timeout: timeout, condition) { return }
    let what = what()
    Issue.record("timed out after \(timeout) waiting for: \(what)", sourceLocation: sourceLocation)
    throw TimedOut(what: what)
}

/// Checks `condition` until it holds (`true`, as soon as it does) or `timeout` passed (`false`):
/// ``waitUntil(_:timeout:isolation:sourceLocation:_:)`` for callers that report the failure
/// themselves.
public func eventually(timeout: Duration = .seconds(20), isolation: isolated (any Actor)? = #isolation,
                       _ condition: () async throws -> Bool) async throws -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while true {
        if try await condition() { return true }
        guard clock.now < deadline else { return false }
        try await Task.sleep(for: .milliseconds(5))
    }
}
