import Foundation
import Synchronization

/// Runs many seeds, each in its own ``Simulation``, on several threads at once.
///
/// Runs share nothing, and each is deterministic on its own, so running them side by side changes
/// no outcome: the results come back in seed order, the same as one at a time.
public enum Swarm {
    /// What one seed gave.
    public struct Outcome: Sendable {
        /// The seed that ran.
        public var seed: UInt64
        /// The run's digest, when it finished.
        public var digest: String?
        /// The broken invariant, when it did not.
        public var failure: SimulationFailure?
    }

    /// Runs every seed of `seeds` with the configuration `configure` returns for it (and the
    /// command that reproduces it), `jobs` runs at a time, of `scenario`. `progress` gets the
    /// number of runs done so far, one call at a time.
    public static func run(seeds: ClosedRange<UInt64>, jobs: Int, scenario: SimulationScenario,
                           configure: @escaping @Sendable (UInt64) -> (SimulationConfiguration, reproduce: String?),
                           progress: (@Sendable (Int) -> Void)? = nil) -> [Outcome] {
        run(seeds: Array(seeds), jobs: jobs, scenario: scenario, configure: configure, progress: progress)
    }

    /// The seeds of `range` partition `index` of `count` runs: every `count`-th from the
    /// `index`-th (0-based), so partitions get seeds of every part of the range. The partitions of
    /// a range together hold each of its seeds exactly once.
    public static func seeds(of range: ClosedRange<UInt64>, partition index: Int, of count: Int) -> [UInt64] {
        precondition(count >= 1 && index >= 0 && index < count, "partition \(index) of \(count)")
        return range.enumerated().filter { $0.offset % count == index }.map(\.element)
    }

    /// ``run(seeds:jobs:scenario:configure:progress:)`` of a list of seeds (a partition's, say),
    /// outcomes in the list's order.
    public static func run(seeds: [UInt64], jobs: Int, scenario: SimulationScenario,
                           configure: @escaping @Sendable (UInt64) -> (SimulationConfiguration, reproduce: String?),
                           progress: (@Sendable (Int) -> Void)? = nil) -> [Outcome] {
        let count = seeds.count
        let state = SharedState(count: count)
        let workers = max(1, min(jobs, count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let index = state.nextIndex() {
                let seed = seeds[index]
                let (configuration, reproduce) = configure(seed)
                // A sharded seed runs its shards one after another: the swarm's jobs are the threads.
                let simulation = ShardedSimulation(configuration, scenario: scenario)
                simulation.reproduceCommand = reproduce
                var outcome = Outcome(seed: seed)
                do {
                    outcome.digest = try simulation.run().digest
                } catch let failure as SimulationFailure {
                    outcome.failure = failure
                } catch {
                    outcome.failure = SimulationFailure(invariant: "\(error)", seed: seed, time: simulation.shards[0].scheduler.now,
                                                        lastEvents: [], reproduce: reproduce ?? "")
                }
                state.finish(index, outcome, progress)
            }
        }
        return state.results()
    }

    /// The next index to run and the outcomes so far.
    private final class SharedState: Sendable {
        private struct Counts {
            var next = 0
            var done = 0
            var outcomes: [Outcome?]
        }
        private let state: Mutex<Counts>
        private let count: Int

        init(count: Int) {
            self.count = count
            state = Mutex(Counts(outcomes: Array(repeating: nil, count: count)))
        }

        func nextIndex() -> Int? {
            state.withLock { s in
                guard s.next < count else { return nil }
                s.next += 1
                return s.next - 1
            }
        }

        /// Every outcome, in seed order; called once every worker has finished (each index was
        /// taken by `nextIndex` and finished by `finish`).
        func results() -> [Outcome] {
            state.withLock { s in
                s.outcomes.enumerated().map { i, outcome in
                    guard let outcome else { preconditionFailure("swarm run \(i) never finished") }
                    return outcome
                }
            }
        }

        func finish(_ index: Int, _ outcome: Outcome, _ progress: (@Sendable (Int) -> Void)?) {
            state.withLock { s in
                s.outcomes[index] = outcome
                s.done += 1
                progress?(s.done)
            }
        }
    }
}
