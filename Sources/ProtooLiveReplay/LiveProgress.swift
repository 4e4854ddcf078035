import Synchronization

/// Running figures of a live replay or trace load, for a progress line: written by the sessions
/// on their event loops, read from any thread.
public final class LiveProgress: Sendable {
    public struct Snapshot: Sendable, Hashable {
        public var connectionsOpened: Int
        public var requestsAnswered: Int
        public var serverEventsCompared: Int
        public var divergences: Int
        public var sessionsFinished: Int
    }

    let connectionsOpened = Atomic<Int>(0)
    let requestsAnswered = Atomic<Int>(0)
    let serverEventsCompared = Atomic<Int>(0)
    let divergences = Atomic<Int>(0)
    let sessionsFinished = Atomic<Int>(0)

    public init() {}

    public var snapshot: Snapshot {
        Snapshot(connectionsOpened: connectionsOpened.load(ordering: .relaxed), requestsAnswered: requestsAnswered.load(ordering: .relaxed),
                 serverEventsCompared: serverEventsCompared.load(ordering: .relaxed), divergences: divergences.load(ordering: .relaxed),
                 sessionsFinished: sessionsFinished.load(ordering: .relaxed))
    }
}
