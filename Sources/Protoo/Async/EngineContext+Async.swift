extension EngineContext {
    /// Sleeps for `duration` on the engine's clock: virtual time under the simulator and replay,
    /// the event loop's timer in production. Throws `CancellationError` when the task is cancelled.
    public func sleep(for duration: Duration) async throws {
        try await sleep(until: now + duration)
    }

    /// Sleeps until `deadline` on the engine's clock (see ``sleep(for:)``).
    public func sleep(until deadline: Instant) async throws {
        try Task.checkCancellation()
        let sleeper = EngineBound(Sleeper(), scheduler: executor.scheduler)
        let executor = self.executor
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
                sleeper.value.start(continuation, timer: executor.scheduler.schedule(at: deadline) { sleeper.value.finish(nil) })
            }
        } onCancel: {
            // Cancellation may come from any thread; the sleeper is touched on the engine's only.
            if executor.scheduler.isCurrentThread {
                sleeper.value.finish(CancellationError())
            } else {
                executor.scheduler.enqueueFromAnyThread { sleeper.value.finish(CancellationError()) }
            }
        }
    }

    /// Starts `body` as an engine task: it runs on this engine's executor (deterministically
    /// under the simulator), may await anything the engine offers, and is cancelled when the
    /// server shuts down. `name` says what it is in reports. Call on the engine's thread.
    public func spawn(_ name: String, _ body: @escaping () async -> Void) {
        executor.spawn(name, "", body)
    }

    /// A thread-safe way back onto the engine: the returned callback may be called from any
    /// thread (another library's completion handler, a `Task`), once; `body` then runs on the
    /// engine's thread with the value. Later calls are ignored. Create it on the engine's thread.
    ///
    /// ```swift
    /// let done = context.callback { (rows: [Row]) in request.accept(["rows": .int(Int64(rows.count))]) }
    /// database.query(sql) { rows in done(rows) }          // on the database's thread
    /// ```
    /// Under the simulator a callback called from another thread is reported: its timing is real.
    public func callback<Value: Sendable>(_ body: @escaping (Value) -> Void) -> EngineCallback<Value> {
        EngineCallback(executor: executor, body: EngineBound(body, scheduler: executor.scheduler))
    }
}

/// A one-shot, thread-safe callback onto the engine (see ``EngineContext/callback(_:)``).
public struct EngineCallback<Value: Sendable>: Sendable {
    let executor: EngineExecutor
    let body: EngineBound<(Value) -> Void>
    private let fired = OnceFlag()

    init(executor: EngineExecutor, body: EngineBound<(Value) -> Void>) {
        self.executor = executor
        self.body = body
    }

    /// Runs the callback's body on the engine with `value`; from any thread, once.
    public func callAsFunction(_ value: Value) {
        guard fired.set() else { return }
        let body = self.body
        if executor.scheduler.isCurrentThread {
            executor.scheduler.enqueue { body.value(value) }
        } else {
            guard !executor.isClosed.load(ordering: .acquiring) else { return }
            let task = EngineTask.current
            executor.scheduler.enqueueFromAnyThread { [executor] in
                executor.report(.resumedOffEngine, task: task)
                body.value(value)
            }
        }
    }
}

extension EngineCallback where Value == Void {
    /// Runs the callback's body on the engine; from any thread, once.
    public func callAsFunction() { self(()) }
}

/// A sleep's timer and continuation, used on the engine's thread only.
private final class Sleeper {
    private var continuation: UnsafeContinuation<Void, any Error>?
    private var timer: TimerHandle?
    private var done = false

    func start(_ continuation: UnsafeContinuation<Void, any Error>, timer: TimerHandle) {
        if done {
            // Cancelled before it started.
            timer.cancel()
            return continuation.resume(throwing: CancellationError())
        }
        self.continuation = continuation
        self.timer = timer
    }

    func finish(_ error: (any Error)?) {
        guard !done else { return }
        done = true
        timer?.cancel()
        guard let continuation else { return }
        self.continuation = nil
        if let error { continuation.resume(throwing: error) } else { continuation.resume() }
    }
}
