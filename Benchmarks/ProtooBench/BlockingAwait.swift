import Foundation

/// Runs async `body` to completion from synchronous code (the suites are synchronous) and returns its result.
/// Call it from a thread outside Swift's cooperative pool (the main thread).
func blockingAwait<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        do { box.set(.success(try await body())) } catch { box.set(.failure(error)) }
        done.signal()
    }
    done.wait()
    return try box.get()
}

/// The result handed from the task to the waiting thread.
private final class ResultBox<T: Sendable>: @unchecked Sendable { // guarded by `lock`
    private let lock = NSLock()
    private var result: Result<T, any Error>?

    func set(_ value: Result<T, any Error>) { lock.withLock { result = value } }

    func get() throws -> T {
        guard let result = lock.withLock({ result }) else { preconditionFailure("read before the task finished") }
        return try result.get()
    }
}
