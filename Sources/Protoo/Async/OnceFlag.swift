import Synchronization

/// A flag that is set once, from any thread.
final class OnceFlag: Sendable {
    private let value = Atomic<Bool>(false)
    /// Sets the flag; `true` for the first caller only.
    func set() -> Bool { !value.exchange(true, ordering: .acquiringAndReleasing) }
}
