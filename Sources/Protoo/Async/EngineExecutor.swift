import Synchronization

/// The executor that runs an engine's async code: request handlers, simulated client scripts and
/// whatever they await (actors, `async let`, task groups), one job at a time on the engine's
/// ``Scheduler``.
///
/// Under a ``VirtualScheduler`` every job runs on the simulation's thread in the scheduler's total
/// order, so the same seed gives the same run. On a NIO event loop it is the loop. Work that comes
/// back from another thread (a `Task.sleep`, a Dispatch queue, another executor) is handed over
/// through ``Scheduler/enqueueFromAnyThread(_:)``; where ``reportsNondeterminism`` is set (the
/// simulator and replay), it is also reported to ``onNondeterminism``, since its place in the
/// order depends on real time.
///
/// Get it from ``EngineContext/executor``; start engine tasks with ``EngineContext/spawn(_:_:)``.
public final class EngineExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked Sendable: `scheduler`, `inFlight` and the callbacks are used on the engine's
    // thread only; other threads reach the executor through `enqueue`, which touches nothing but
    // the scheduler's thread-safe entry points and the mutex-guarded `running` table.

    let scheduler: any Scheduler
    /// Report work that resumes off the engine (set by the simulator and replay).
    public var reportsNondeterminism = false {
        didSet { if reportsNondeterminism { EscapeWatch.install() } }
    }
    /// Called on the engine's thread for each piece of work that escaped it.
    public var onNondeterminism: ((NondeterminismReport) -> Void)?
    /// Engine tasks still running, by start order.
    var inFlight = EngineTaskTable()
    var settleWaiters: [() -> Void] = []
    /// Running engine tasks by task address, so that work resumed from another thread can be named.
    let running = Mutex<[UInt: EngineTask]>([:])
    /// Set once the engine is gone (the server's loop shut down): later work is dropped.
    let isClosed = Atomic<Bool>(false)

    /// The scheduler when it is virtual: jobs are posted to it as timer targets, the job itself
    /// as the tag, so that a job costs no allocation. Unretained: `scheduler` holds it.
    private let virtual: VirtualScheduler?

    init(scheduler: any Scheduler) {
        self.scheduler = scheduler
        virtual = scheduler as? VirtualScheduler
    }

    public func enqueue(_ job: UnownedJob) {
        if let virtual, virtual.isCurrentThread {
            let tag = unsafeBitCast(job, to: Int.self)
            virtual.post(at: virtual.now, target: jobRunner, tag: tag)
            return
        }
        if scheduler.isCurrentThread {
            scheduler.enqueue { [self] in job.runSynchronously(on: asUnownedTaskExecutor()) }
            return
        }
        guard !isClosed.load(ordering: .acquiring) else { return }
        let task = reportsNondeterminism ? running.withLock { $0[UInt(bitPattern: unsafeBitCast(job, to: Int.self))] } : nil
        scheduler.enqueueFromAnyThread { [self] in
            if reportsNondeterminism {
                report(.resumedOffEngine, task: task)
            }
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }

    /// Runs jobs posted to a virtual scheduler (see ``enqueue(_:)``).
    private lazy var jobRunner = JobRunner(executor: self)

    // Not a `SerialExecutor`: jobs run as the task executor of engine tasks (a task-executor
    // preference), never isolated to it, so that a nonisolated `await` stays on the engine's
    // thread without a hop through the scheduler (an isolated run made every such call enqueue).

    /// Ends the executor: work handed over from other threads afterwards is dropped (the loop that
    /// would run it is gone). Callable from any thread.
    public func close() { isClosed.store(true, ordering: .releasing) }

    /// Reports escaped work on the engine's thread (or hands the report over to it).
    func report(_ kind: NondeterminismReport.Kind, task: EngineTask?) {
        guard reportsNondeterminism else { return }
        guard scheduler.isCurrentThread else {
            return scheduler.enqueueFromAnyThread { [self] in report(kind, task: task) }
        }
        onNondeterminism?(NondeterminismReport(kind: kind, task: task?.description, at: scheduler.now))
    }
}

/// Runs a job whose bits are a timer's tag, on its executor.
private final class JobRunner: TimerTarget {
    /// Unowned(unsafe): the executor owns the runner and outlives every job posted through it.
    unowned let executor: EngineExecutor
    init(executor: EngineExecutor) { self.executor = executor }

    func timerFired(_ tag: Int) {
        let job = unsafeBitCast(tag, to: UnownedJob.self)
        job.runSynchronously(on: executor.asUnownedTaskExecutor())
    }
}

/// Work that left the engine's executor during a simulation or replay: its timing, and so the
/// run, depends on real time.
public struct NondeterminismReport: Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// An unstructured `Task {}` or `Task.detached` started by engine code: it runs on the
        /// global executor, not the engine's.
        case unstructuredTask
        /// Main-actor work started by engine code (the simulation's thread blocks the main actor).
        case mainActor
        /// An engine task resumed from another thread (`Task.sleep`, a Dispatch queue, a callback
        /// of another library, another executor).
        case resumedOffEngine
    }

    public var kind: Kind
    /// The engine task it came from (`request 'join' of peer alice`), when known.
    public var task: String?
    /// The virtual time at which the engine saw it.
    public var at: Instant

    public var description: String {
        let what: String
        switch kind {
        case .unstructuredTask: what = "an unstructured Task started (it runs off the engine's executor; use async let, a task group or context.spawn)"
        case .mainActor: what = "main-actor work started (the simulation does not run the main actor)"
        case .resumedOffEngine: what = "work resumed from another thread (Task.sleep, a Dispatch queue or another executor; use context.sleep, or context.callback to come back)"
        }
        return "nondeterminism in \(task ?? "engine code"): \(what), at virtual \(at)"
    }
}
