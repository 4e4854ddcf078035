import Foundation

/// A one-shot event: tasks ``wait()`` until someone, on any thread, ``open()``s it. For a test that
/// must know another party reached a point (a handler started), or hold that party there until
/// the test lets it go, instead of sleeping and hoping.
public final class Latch: @unchecked Sendable { // `opened` and `waiters` are guarded by `lock`
    private let lock = NSLock()
    private var opened = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init() {}

    /// Whether it was opened.
    public var isOpen: Bool { lock.withLock { opened } }

    /// Opens it: every waiter goes on, and later waits return at once. Idempotent.
    public func open() {
        let resumed = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
            guard !opened else { return [] }
            opened = true
            defer { waiters = [] }
            return waiters
        }
        for waiter in resumed { waiter.resume() }
    }

    /// Returns once it is open.
    public func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = lock.withLock { () -> Bool in
                if opened { return true }
                waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }
}
