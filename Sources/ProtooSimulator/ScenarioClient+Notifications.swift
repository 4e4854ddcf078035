import Protoo

extension ScenarioClient {
    /// Waits for a notification the server sends this connection, and returns its data.
    ///
    /// A matching notification that arrived earlier and that no wait took yet is returned at once
    /// (the connection keeps the last ``keptNotifications`` it received), so nothing is missed
    /// between a request and the wait that follows it:
    ///
    /// ```swift
    /// _ = try await client.request("join", [:])
    /// let other = try await client.notification("newPeer", within: .seconds(20))
    /// ```
    ///
    /// - Parameters:
    ///   - method: The notification's method.
    ///   - timeout: How long to wait on the virtual clock.
    ///   - matches: Which of them to take (default: the first of that method).
    /// - Throws: ``ScenarioClientError`` with code `notificationTimeout` when none came within
    ///   `timeout` (uncaught, it stops the run like any error a script throws, with the seed);
    ///   `CancellationError` once the connection closed.
    public func notification(_ method: String, within timeout: Duration,
                             where matches: @escaping (JSONValue) -> Bool = { _ in true }) async throws -> JSONValue {
        if let i = inbox.received.firstIndex(where: { $0.method == method && matches($0.data) }) {
            return inbox.received.remove(at: i).data
        }
        try Task.checkCancellation()
        let scheduler = simulated.context.scheduler
        let waiter = NotificationWaiter(method: method, matches: matches)
        let inbox = self.inbox
        // Cancellation may come from any thread; the waiter is touched on the engine's only.
        let cancelled = simulated.context.callback { (_: Void) in
            inbox.remove(waiter)
            waiter.finish(.failure(CancellationError()))
        }
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<JSONValue, any Error>) in
                waiter.continuation = continuation
                inbox.waiters.append(waiter)
                waiter.timer = scheduler.schedule(after: timeout) {
                    inbox.remove(waiter)
                    waiter.finish(.failure(ScenarioClientError.notificationTimeout(method: method, timeout: timeout)))
                }
            }
        } onCancel: {
            cancelled()
        }
    }

    /// How many unclaimed notifications a connection keeps for ``notification(_:within:where:)``
    /// (the oldest go first).
    public static var keptNotifications: Int { NotificationInbox.capacity }
}

/// The notifications a connection received that no wait took yet, and the waits in progress.
final class NotificationInbox {
    static let capacity = 256
    var received: [(method: String, data: JSONValue)] = []
    var waiters: [NotificationWaiter] = []

    /// A notification arrived: the first waiting match takes it, else it is kept.
    func deliver(_ method: String, _ data: JSONValue) {
        if let i = waiters.firstIndex(where: { $0.method == method && $0.matches(data) }) {
            waiters.remove(at: i).finish(.success(data))
            return
        }
        if received.count == Self.capacity { received.removeFirst() }
        received.append((method, data))
    }

    func remove(_ waiter: NotificationWaiter) {
        waiters.removeAll { $0 === waiter }
    }
}

/// One ``ScenarioClient/notification(_:within:where:)`` in progress; finished once.
final class NotificationWaiter {
    let method: String
    let matches: (JSONValue) -> Bool
    var continuation: UnsafeContinuation<JSONValue, any Error>?
    var timer: TimerHandle?

    init(method: String, matches: @escaping (JSONValue) -> Bool) {
        self.method = method
        self.matches = matches
    }

    func finish(_ result: Result<JSONValue, any Error>) {
        timer?.cancel()
        timer = nil
        guard let continuation else { return }
        self.continuation = nil
        continuation.resume(with: result)
    }
}
