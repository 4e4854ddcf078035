import Foundation
import Protoo

/// Shrinks a failing run to the smallest run found that breaks the same invariant (by
/// ``SimulationFailure/name``): fewest rooms, then clients, then faults, then messages each
/// client sends, then the shortest duration, by delta debugging over the run's structure held
/// as data (``SimulationConfiguration/population``, ``SimulationConfiguration/faultSchedule``,
/// ``SimulationConfiguration/stepLimits``). The seed never changes: every client's and room's
/// draws are keyed by it and their own name, so what is left runs as it did.
///
/// ```swift
/// let minimizer = SimulationMinimizer(scenario: chat, budget: .seconds(60))
/// if let result = minimizer.minimize(configuration) {
///     try result.repro.write(to: URL(filePath: "repro.json"))
/// }
/// ```
public struct SimulationMinimizer: Sendable {
    /// The smallest failing run found, and the run it came from.
    public struct Result: Sendable {
        /// The failing run as given (its population, schedule and limits made explicit).
        public var original: SimulationConfiguration
        /// Its failure.
        public var originalFailure: SimulationFailure
        /// Its summary up to the failure.
        public var originalReport: SimulationReport
        /// The smallest failing run found.
        public var minimal: SimulationConfiguration
        /// Its failure: the same invariant (``SimulationFailure/name``).
        public var failure: SimulationFailure
        /// Its summary up to the failure (``SimulationReport/digest`` included).
        public var report: SimulationReport
        /// The minimal run as a file (``SimulationRepro``).
        public var repro: SimulationRepro
        /// Runs tried, the two above included.
        public var runs: Int
        /// Wall-clock time the search took.
        public var searchTime: Duration
        /// Whether the budget ran out before the search was done (the best run so far is kept).
        public var budgetExhausted: Bool
    }

    /// The scenario the runs are of.
    public var scenario: SimulationScenario
    /// Wall-clock time the search may take (default 3 minutes); the best run so far is kept.
    public var budget: Duration

    /// A minimizer of runs of `scenario`, searching for at most `budget`.
    public init(scenario: SimulationScenario, budget: Duration = .seconds(180)) {
        self.scenario = scenario
        self.budget = budget
    }

    /// Runs `configuration` (one server: `shards` 1) and, if it breaks an invariant, searches
    /// for the smallest run that breaks the same one. `nil` when the run breaks nothing.
    /// `progress` hears each phase as it starts.
    public func minimize(_ configuration: SimulationConfiguration, progress: ((String) -> Void)? = nil) -> Result? {
        precondition(configuration.shards == 1, "minimise one server's run: set shards to 1")
        let clock = ContinuousClock()
        let started = clock.now
        var search = Search(scenario: scenario, deadline: started + budget, clock: clock)
        var named = configuration
        named.scenario = .init(rawValue: scenario.name)
        let explicit = SimulationRepro(configuration: named, invariant: "").configuration
        guard let first = search.run(explicit) else { return nil }
        search.target = first.failure.name
        var best = explicit
        var bestOutcome = first
        func adopt(_ candidate: SimulationConfiguration) -> Bool? {
            guard let outcome = search.attempt(candidate) else { return search.outOfTime ? nil : false }
            best = candidate
            bestOutcome = outcome
            return true
        }
        for round in 0..<2 {
            let before = best
            progress?("rooms")
            let rooms = Array(Set(best.clientKeys.map(\.room))).sorted()
            _ = DeltaDebugging.minimize(rooms) { kept in
                adopt(best.keeping(rooms: Set(kept)))
            }
            progress?("peers")
            _ = DeltaDebugging.minimize(best.clientKeys) { kept in
                adopt(best.keeping(clients: kept))
            }
            progress?("faults")
            let breakAt = bestOutcome.failure.time - .zero
            let due = FaultPlan.schedule(for: best).filter { $0.at <= breakAt }
            if due.count < best.faultSchedule?.count ?? 0 { _ = adopt(best.withSchedule(due)) }
            _ = DeltaDebugging.minimize(FaultPlan.schedule(for: best), tryEmpty: true) { kept in
                adopt(best.withSchedule(kept))
            }
            // Each remaining fault as early as it still breaks the invariant: the earliest of a
            // grid of instants before it (a race hit at an earlier instant ends the run sooner).
            let faultCount = best.faultSchedule?.count ?? 0
            for index in 0..<faultCount {
                guard let fault = best.faultSchedule?[index] else { break }
                for at in Self.grid(below: fault.at) {
                    guard var moved = best.faultSchedule, index < moved.count else { break }
                    moved[index].at = at
                    guard let failed = adopt(best.withSchedule(moved)) else { break }
                    if failed { break }
                }
            }
            progress?("client steps")
            for (key, sent) in bestOutcome.messagesSent.sorted(by: { $0.key < $1.key }) where sent < (best.stepLimits[key] ?? .max) {
                _ = adopt(best.limiting(key, to: sent))
            }
            for key in best.clientKeys {
                guard var high = best.stepLimits[key], high > 0 else { continue }
                var low = 0
                while low < high {
                    let mid = (low + high) / 2
                    guard let failed = adopt(best.limiting(key, to: mid)) else { break }
                    if failed { high = mid } else { low = mid + 1 }
                }
            }
            progress?("duration")
            let breakTime = bestOutcome.failure.time - .zero
            if breakTime < best.duration {
                var shorter = best
                shorter.duration = breakTime + .milliseconds(1)
                if shorter.duration < best.duration { _ = adopt(shorter) }
            }
            // The shortest of a grid of durations that still breaks it, then bisected below that.
            var low = Duration.zero, high = best.duration
            for candidate in Self.grid(below: best.duration) {
                var shorter = best
                shorter.duration = candidate
                guard let failed = adopt(shorter) else { break }
                if failed {
                    high = candidate
                    break
                }
                low = candidate
            }
            while high - low > .milliseconds(100) {
                let mid = low + (high - low) / 2
                var candidate = best
                candidate.duration = mid
                guard let failed = adopt(candidate) else { break }
                if failed { high = best.duration } else { low = mid }
            }
            if search.outOfTime || (round > 0 || best.sameShape(as: before)) { break }
        }
        let repro = SimulationRepro(configuration: best, invariant: first.failure.name,
                                    failure: bestOutcome.failure.invariant, events: bestOutcome.failure.events)
        return Result(original: explicit, originalFailure: first.failure, originalReport: first.report,
                      minimal: repro.configuration, failure: bestOutcome.failure, report: bestOutcome.report,
                      repro: repro, runs: search.runs, searchTime: clock.now - started, budgetExhausted: search.outOfTime)
    }
}

extension SimulationMinimizer {
    /// 32 instants from `limit` / 32 up to `limit`, exclusive, ascending.
    static func grid(below limit: Duration) -> [Duration] {
        let step = limit / 32
        guard step > .zero else { return [] }
        return (1..<32).map { step * $0 }
    }
}

/// The trial runs of one minimisation.
private struct Search {
    struct Outcome {
        var failure: SimulationFailure
        var report: SimulationReport
        var messagesSent: [ClientKey: Int]
    }

    let scenario: SimulationScenario
    let deadline: ContinuousClock.Instant
    let clock: ContinuousClock
    /// The invariant a candidate must break.
    var target = ""
    var runs = 0
    var outOfTime = false

    init(scenario: SimulationScenario, deadline: ContinuousClock.Instant, clock: ContinuousClock) {
        self.scenario = scenario
        self.deadline = deadline
        self.clock = clock
    }

    /// Runs `configuration`; its failure, if it broke an invariant.
    mutating func run(_ configuration: SimulationConfiguration) -> Outcome? {
        runs += 1
        let simulation = Simulation(configuration, scenario: scenario)
        do {
            _ = try simulation.run()
            return nil
        } catch let failure as SimulationFailure {
            let sent = Dictionary(uniqueKeysWithValues: simulation.clients.map { ($0.key, $0.messagesSent) })
            return Outcome(failure: failure, report: simulation.reportSoFar(), messagesSent: sent)
        } catch {
            return nil
        }
    }

    /// Runs a candidate: its outcome if it breaks the target invariant; `nil` otherwise or once
    /// the budget is spent (``outOfTime`` tells which).
    mutating func attempt(_ candidate: SimulationConfiguration) -> Outcome? {
        guard !outOfTime else { return nil }
        guard clock.now < deadline else {
            outOfTime = true
            return nil
        }
        guard !candidate.clientKeys.isEmpty, let outcome = run(candidate), outcome.failure.name == target else { return nil }
        return outcome
    }
}

extension SimulationConfiguration {
    /// This run with only the clients of `rooms`.
    func keeping(rooms: Set<Int>) -> SimulationConfiguration {
        keeping(clients: clientKeys.filter { rooms.contains($0.room) })
    }

    /// This run with only `clients` (their faults and step limits kept, the others' dropped).
    func keeping(clients: [ClientKey]) -> SimulationConfiguration {
        var c = self
        let kept = Set(clients)
        c.population = clients.sorted()
        c.faultSchedule = FaultPlan.schedule(for: self).filter { $0.client.map(kept.contains) ?? true }
        c.stepLimits = stepLimits.filter { kept.contains($0.key) }
        return c
    }

    /// This run with exactly `faults`.
    func withSchedule(_ faults: [PlannedFault]) -> SimulationConfiguration {
        var c = self
        c.faultSchedule = faults
        return c
    }

    /// This run with client `key` sending at most `steps` messages.
    func limiting(_ key: ClientKey, to steps: Int) -> SimulationConfiguration {
        var c = self
        c.stepLimits[key] = steps
        return c
    }

    /// Same clients, faults, limits and duration.
    func sameShape(as other: SimulationConfiguration) -> Bool {
        clientKeys == other.clientKeys && faultSchedule == other.faultSchedule && stepLimits == other.stepLimits
            && duration == other.duration
    }
}
