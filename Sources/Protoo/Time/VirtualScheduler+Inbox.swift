import Synchronization

extension VirtualScheduler {
    /// Actions other threads handed over (``enqueueFromAnyThread(_:)``), taken by the driving thread.
    final class Inbox: Sendable {
        let waiting = Atomic<Int>(0)
        let actions = Mutex<[@Sendable () -> Void]>([])
    }
}
