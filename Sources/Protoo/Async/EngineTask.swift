/// What an engine task is doing, for reports: the request it answers, or a named job.
public final class EngineTask: Sendable, CustomStringConvertible {
    /// The engine task the current code runs in (`nil` outside one).
    @TaskLocal public static var current: EngineTask?

    let id: Int
    let executor: EngineExecutor
    private let name: String
    private let detail: String

    init(id: Int, executor: EngineExecutor, name: String, detail: String) {
        self.id = id
        self.executor = executor
        self.name = name
        self.detail = detail
    }

    /// `request 'join' of peer alice`, `client script of bob`.
    public var description: String { detail.isEmpty ? name : "\(name) \(detail)" }
}

/// An engine task in flight: its handle, to cancel it at shutdown.
struct EngineTaskRecord {
    var task: Task<Void, Never>
    var info: EngineTask
}

/// A value that may cross into an engine task because only the engine's executor touches it.
struct EngineBound<Value>: @unchecked Sendable {
    // @unchecked Sendable: created on the engine's thread and read in a task that runs on the same
    // engine's executor (`Task(executorPreference:)`), so it is never used on two threads at once.
    let value: Value
    init(_ value: Value) { self.value = value }
}

extension EngineExecutor {
    /// Starts `body` as an engine task: it runs on this executor, named by `name` and `detail` in
    /// reports, and is cancelled by ``cancelAll()``. Call on the engine's thread.
    @discardableResult
    package func spawn(_ name: String, _ detail: String, _ body: @escaping () async -> Void) -> Int {
        nextTaskID += 1
        let id = nextTaskID
        let info = EngineTask(id: id, executor: self, name: name, detail: detail)
        let work = EngineBound(body)
        // The table that names tasks resumed from another thread is only kept where that is
        // reported (simulation, replay): production pays no lock per task.
        let named = reportsNondeterminism
        let task = Task(executorPreference: self) { [self] in
            await EngineTask.$current.withValue(info) {
                let key = named ? withUnsafeCurrentTask { UInt(bitPattern: unsafeBitCast($0!, to: Int.self)) } : 0
                if named { running.withLock { $0[key] = info } }
                await work.value()
                await returnToEngine(info)
                if named { running.withLock { $0[key] = nil } }
                finished(id)
            }
        }
        inFlight[id] = EngineTaskRecord(task: task, info: info)
        return id
    }

    /// Comes back to the engine's thread if the task is not on it (code that ran on another
    /// executor), reporting it where reports are wanted.
    func returnToEngine(_ info: EngineTask) async {
        guard !scheduler.isCurrentThread else { return }
        report(.resumedOffEngine, task: info)
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            scheduler.enqueueFromAnyThread { continuation.resume() }
        }
    }

    private func finished(_ id: Int) {
        inFlight[id] = nil
        guard inFlight.isEmpty, !settleWaiters.isEmpty else { return }
        let waiters = settleWaiters
        settleWaiters.removeAll()
        for waiter in waiters { waiter() }
    }

    /// Engine tasks still running, in start order (request handlers, client scripts).
    public var runningTasks: [EngineTask] { inFlight.keys.sorted().map { inFlight[$0]!.info } }

    /// Cancels the engine task `id` (as returned by ``spawn(_:_:_:)``) if it is still running.
    package func cancel(_ id: Int) { inFlight[id]?.task.cancel() }

    /// Cancels every engine task still running, in start order.
    public func cancelAll() {
        for id in inFlight.keys.sorted() { inFlight[id]?.task.cancel() }
    }

    /// Lets running engine tasks finish for up to `grace`, cancels those still running, waits up to
    /// `grace` again, then calls `done` (on the engine's thread). Call on the engine's thread.
    public func settle(within grace: Duration, then done: @escaping (_ unfinished: [EngineTask]) -> Void) {
        guard !inFlight.isEmpty else { return done([]) }
        var called = false
        var timer: TimerHandle?
        let finish = { [self] in
            guard !called else { return }
            called = true
            timer?.cancel()
            done(runningTasks)
        }
        settleWaiters.append(finish)
        timer = scheduler.schedule(after: grace) { [self] in
            cancelAll()
            timer = scheduler.schedule(after: grace) { finish() }
        }
    }
}
