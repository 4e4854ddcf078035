/// What an engine task is doing, for reports: the request it answers, or a named job.
public final class EngineTask: Sendable, CustomStringConvertible {
    /// The engine task the current code runs in (`nil` outside one, and where the executor does
    /// not report nondeterminism: production sets no task-local value per task).
    @TaskLocal public static var current: EngineTask?

    /// What the task does, kept in parts: the description is only made for a report.
    package enum Label: Sendable {
        /// `name detail`, e.g. `client script of` `bob`.
        case named(String, String)
        /// An async request handler: `request 'join' of peer alice`.
        case request(method: String, peer: String)
    }

    let id: Int
    let executor: EngineExecutor
    private let label: Label

    init(id: Int, executor: EngineExecutor, label: Label) {
        self.id = id
        self.executor = executor
        self.label = label
    }

    /// `request 'join' of peer alice`, `client script of bob`.
    public var description: String {
        switch label {
        case .named(let name, let detail): return detail.isEmpty ? name : "\(name) \(detail)"
        case .request(let method, let peer): return "request '\(method)' of peer \(peer)"
        }
    }
}

/// An engine task in flight: its handle, to cancel it at shutdown.
struct EngineTaskRecord {
    /// Its handle in the ``EngineTaskTable``.
    var handle: Int
    /// `nil` until the task is made (an immediate task registers before it starts).
    var task: Task<Void, Never>?
    var label: EngineTask.Label
    /// The task's description object: made at the start where reports are wanted, else on demand.
    var info: EngineTask?
}

/// A value that may cross into an engine task because only the engine's executor touches it.
/// Debug builds check the thread on every access, as NIO's `NIOLoopBound` does.
struct EngineBound<Value>: @unchecked Sendable {
    // @unchecked Sendable: created on the engine's thread and read in a task that runs on the same
    // engine's executor (`Task(executorPreference:)`), so it is never used on two threads at once;
    // `value` checks that in debug builds.
    private let storage: Value
    #if DEBUG
    private let scheduler: any Scheduler
    #endif

    init(_ value: Value, scheduler: any Scheduler) {
        storage = value
        #if DEBUG
        self.scheduler = scheduler
        #endif
    }

    var value: Value {
        #if DEBUG
        precondition(scheduler.isCurrentThread, "an engine-bound value was used off the engine's thread")
        #endif
        return storage
    }
}

extension EngineExecutor {
    /// Starts `body` as an engine task: it runs on this executor, named by `name` and `detail` in
    /// reports, and is cancelled by ``cancelAll()``. Call on the engine's thread.
    @discardableResult
    package func spawn(_ name: String, _ detail: String, _ body: @escaping () async -> Void) -> Int {
        spawn(.named(name, detail), body)
    }

    /// ``spawn(_:_:_:)`` with the task's label in parts (no string made unless it is reported).
    /// An `immediate` task runs on the calling thread up to its first suspension, before this
    /// returns (a request handler that does not suspend answers as a synchronous one would);
    /// otherwise it starts after the current callback, like ``Scheduler/enqueue(_:)``.
    @discardableResult
    package func spawn(_ label: EngineTask.Label, immediate: Bool = false, _ body: @escaping () async -> Void) -> Int {
        spawn(label, immediate: immediate, with: (), { _ in await body() })
    }

    /// ``spawn(_:immediate:_:)`` of `body(value)`: a `body` made once (per peer, say) serves every
    /// task, and each task allocates one closure less.
    @discardableResult
    package func spawn<Value>(_ label: EngineTask.Label, immediate: Bool = false, with value: Value,
                              _ body: @escaping (Value) async -> Void) -> Int {
        let work = EngineBound((body, value), scheduler: scheduler)
        // The task-local description and the table that names tasks resumed from another thread
        // are only kept where that is reported (simulation, replay): production pays no object,
        // no task-local value and no lock per task.
        let reports = reportsNondeterminism
        // Registered first: an immediate task may finish before it is returned.
        let id = inFlight.insert { EngineTaskRecord(handle: $0, task: nil, label: label, info: nil) }
        let info = reports ? EngineTask(id: id, executor: self, label: label) : nil
        if let info { inFlight.setInfo(info, for: id) }
        let operation: () async -> Void = { [self] in
            guard let info else {
                await work.value.0(work.value.1)
                await returnToEngine(nil)
                return finished(id)
            }
            await EngineTask.$current.withValue(info) {
                // Inside a task: the current task exists.
                let key = withUnsafeCurrentTask { $0.map { UInt(bitPattern: unsafeBitCast($0, to: Int.self)) } ?? 0 }
                running.withLock { $0[key] = info }
                await work.value.0(work.value.1)
                await returnToEngine(info)
                running.withLock { $0[key] = nil }
                finished(id)
            }
        }
        let task: Task<Void, Never>
        if immediate, #available(macOS 26, *) {
            task = Task.immediate(executorPreference: self, operation: operation)
        } else {
            task = Task(executorPreference: self, operation: operation)
        }
        inFlight.setTask(task, for: id)
        return id
    }

    /// Runs an async request handler in an immediate engine task and answers with its reply (one
    /// closure and one async frame per request: the handler's own).
    func spawnHandler(for request: IncomingRequest, _ handler: @escaping Peer.AsyncRequestHandler) {
        let label = EngineTask.Label.request(method: request.method, peer: request.peer.id)
        let id = inFlight.insert { EngineTaskRecord(handle: $0, task: nil, label: label, info: nil) }
        guard !reportsNondeterminism else {
            // Reports wanted: the general path, with the task's description and table entry.
            inFlight.remove(id)
            spawn(label, immediate: true, with: request) { request in
                let reply: Result<Reply, any Error>
                do { reply = .success(try await handler(request)) } catch { reply = .failure(error) }
                if !self.scheduler.isCurrentThread { await self.returnToEngine(EngineTask.current) }
                Self.answer(request, with: reply)
            }
            return
        }
        let bound = EngineBound((request, handler), scheduler: scheduler)
        let operation: () async -> Void = { [self] in
            let reply: Result<Reply, any Error>
            do { reply = .success(try await bound.value.1(bound.value.0)) } catch { reply = .failure(error) }
            if !scheduler.isCurrentThread { await returnToEngine(nil) }
            Self.answer(bound.value.0, with: reply)
            finished(id)
        }
        let task: Task<Void, Never>
        if #available(macOS 26, *) {
            task = Task.immediate(executorPreference: self, operation: operation)
        } else {
            task = Task(executorPreference: self, operation: operation)
        }
        inFlight.setTask(task, for: id)
    }

    private static func answer(_ request: IncomingRequest, with reply: Result<Reply, any Error>) {
        switch reply {
        case .success(.accept(let data)): request.accept(data)
        case .success(.reject(let code, let reason)): request.reject(code: code, reason: reason)
        case .success(.deferred): break
        case .failure(let error): request.reject(error)
        }
    }

    /// Comes back to the engine's thread if the task is not on it (code that ran on another
    /// executor), reporting it where reports are wanted.
    func returnToEngine(_ info: EngineTask?) async {
        guard !scheduler.isCurrentThread else { return }
        report(.resumedOffEngine, task: info)
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            scheduler.enqueueFromAnyThread { continuation.resume() }
        }
    }

    private func finished(_ id: Int) {
        inFlight.remove(id)
        guard inFlight.isEmpty, !settleWaiters.isEmpty else { return }
        let waiters = settleWaiters
        settleWaiters.removeAll()
        for waiter in waiters { waiter() }
    }

    /// Engine tasks still running, in start order (request handlers, client scripts).
    public var runningTasks: [EngineTask] {
        inFlight.inStartOrder.map { record in
            record.info ?? EngineTask(id: record.handle, executor: self, label: record.label)
        }
    }

    /// Cancels the engine task `id` (as returned by ``spawn(_:_:_:)``) if it is still running.
    package func cancel(_ id: Int) { inFlight[id]?.task?.cancel() }

    /// Cancels every engine task still running, in start order.
    public func cancelAll() {
        for record in inFlight.inStartOrder { record.task?.cancel() }
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
