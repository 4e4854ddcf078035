import NIOCore
import Protoo

/// The production ``Scheduler``: one NIO `EventLoop`.
///
/// `now` is monotonic time since the scheduler was created (never wall time); `schedule(at:)` is
/// `scheduleTask(deadline:)` and `enqueue` is `execute`. Create it, and call it, on its loop only.
public final class NIOEventLoopScheduler: Scheduler {
    /// The loop everything runs on.
    public let eventLoop: any EventLoop
    private let origin: NIODeadline

    /// A scheduler whose clock starts at zero now.
    public init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
        self.origin = .now()
    }

    public var now: Instant {
        Instant(nanoseconds: Int64(NIODeadline.now().uptimeNanoseconds &- origin.uptimeNanoseconds))
    }

    @discardableResult
    public func schedule(at deadline: Instant, _ action: @escaping () -> Void) -> TimerHandle {
        let bound = NIOLoopBound(action, eventLoop: eventLoop)
        let task = eventLoop.scheduleTask(deadline: origin + .nanoseconds(deadline.nanoseconds)) { bound.value() }
        return TimerHandle { task.cancel() }
    }

    public func enqueue(_ action: @escaping () -> Void) {
        let bound = NIOLoopBound(action, eventLoop: eventLoop)
        eventLoop.execute { bound.value() }
    }
}
