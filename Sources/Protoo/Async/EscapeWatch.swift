#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Watches the Swift runtime's global and main executors for jobs enqueued from inside an engine
/// task (an unstructured `Task {}`, `Task.detached`, main-actor work): such a job leaves the
/// engine's executor, and under the simulator that is reported (``NondeterminismReport``) instead
/// of quietly changing the run. The runtime's enqueue hooks are process-wide: they are installed
/// once, pass every job on unchanged, and only look at ``EngineTask/current``.
enum EscapeWatch {
    typealias Original = @convention(thin) (UnownedJob) -> Void
    typealias Hook = @convention(thin) (UnownedJob, Original) -> Void

    /// Installs the hooks (once per process). Where the runtime does not export them, nothing
    /// is watched and resumptions from other threads are still reported by the executor.
    static func install() { _ = installed }

    private static let installed: Bool = {
        guard let runtime = dlopen(nil, RTLD_NOW) else { return false }
        var any = false
        if let global = dlsym(runtime, "swift_task_enqueueGlobal_hook") {
            let hook = global.assumingMemoryBound(to: Hook?.self)
            if hook.pointee == nil {
                hook.pointee = { job, original in
                    EscapeWatch.saw(.unstructuredTask)
                    original(job)
                }
                any = true
            }
        }
        if let main = dlsym(runtime, "swift_task_enqueueMainExecutor_hook") {
            let hook = main.assumingMemoryBound(to: Hook?.self)
            if hook.pointee == nil {
                hook.pointee = { job, original in
                    EscapeWatch.saw(.mainActor)
                    original(job)
                }
                any = true
            }
        }
        return any
    }()

    private static func saw(_ kind: NondeterminismReport.Kind) {
        guard let task = EngineTask.current, task.executor.reportsNondeterminism else { return }
        task.executor.report(kind, task: task)
    }
}
