import Foundation

/// Runs blocking work (a child process, a live replay's `run()`) on a thread of its own and awaits
/// it: a test that blocked one of Swift concurrency's few pool threads (two on a 2-core machine)
/// would stall every other test of a parallel run meanwhile.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try body() })
        }
    }
}

extension ProtooTool {
    /// ``run(_:environment:in:)`` off the concurrency pool, for async tests.
    public static func runAsync(_ arguments: [String], environment: [String: String] = [:], in directory: String? = nil) async throws -> Result {
        try await offPool { try run(arguments, environment: environment, in: directory) }
    }
}
