import Foundation
import Protoo

/// A run whose rooms are spread over independent server shards, the way a protoo deployment
/// spreads rooms over server processes: each shard is a whole ``Simulation`` (its own engine,
/// app, network, clients, clock and seed) holding a contiguous block of the rooms.
///
/// Rooms never talk to each other, so the shards need no synchronisation: they run side by side
/// on `jobs` threads, all of them a window of virtual time at a time (every peer of every shard
/// is alive at once, as in one big run, while each shard's working set stays small enough to
/// stay in a core's cache during its window). The result depends on neither `jobs` nor `window`:
/// each shard's events are those it would have alone, and the digest covers the shards' digests
/// in shard order. With one shard the run is exactly ``Simulation``'s, digest included.
public final class ShardedSimulation {
    /// The whole run's configuration (its `scenario` set to the scenario's name).
    public let configuration: SimulationConfiguration
    /// The shards, in room order (shard 0 holds `room-0` on).
    public let shards: [Simulation]
    /// How many shards run at a time.
    public let jobs: Int
    /// How much virtual time every shard runs before the next window starts.
    public let window: Duration
    /// Extra command-line words that reproduce this run (set by the CLI).
    public var reproduceCommand: String?

    /// The window a run uses unless told otherwise: long enough that a shard's objects are
    /// fetched into the cache once per window, not once per event.
    public static let defaultWindow: Duration = .seconds(30)

    /// Builds a run of `scenario` split into `configuration.shards` shards (1 ... `rooms`), `jobs`
    /// of them running at a time. Each shard builds its own app with the scenario's factory.
    public init(_ configuration: SimulationConfiguration, scenario: SimulationScenario, jobs: Int = 1,
                window: Duration = ShardedSimulation.defaultWindow) {
        precondition(configuration.shards >= 1 && configuration.shards <= configuration.rooms,
                     "shards must be between 1 and the number of rooms")
        precondition(configuration.shards == 1 || configuration.servers == 1, "servers behind a balancer run as one simulation: shards must be 1")
        var configuration = configuration
        configuration.scenario = .init(rawValue: scenario.name)
        self.configuration = configuration
        self.jobs = max(1, jobs)
        self.window = window > .zero ? window : Self.defaultWindow
        shards = (0..<configuration.shards).map { Simulation(Self.configuration(ofShard: $0, of: configuration), scenario: scenario) }
    }

    /// A one-shard run of a simulation built by hand (e.g. with a trace recorder on its traffic).
    public init(_ simulation: Simulation) {
        precondition(simulation.configuration.shards == 1, "a simulation built by hand is one shard")
        configuration = simulation.configuration
        jobs = 1
        window = Self.defaultWindow
        shards = [simulation]
    }

    /// The configuration shard `index` runs: its block of rooms, its own seed (shard 0 keeps the
    /// run's seed, so it is the same run as the plain one with its rooms), and the scripted
    /// faults of its own clients, renumbered.
    public static func configuration(ofShard index: Int, of configuration: SimulationConfiguration) -> SimulationConfiguration {
        let count = configuration.shards
        guard count > 1 else { return configuration }
        let base = configuration.rooms / count, extra = configuration.rooms % count
        var c = configuration
        c.shards = 1
        let firstGroup = index * base + min(index, extra)
        let groups = base + (index < extra ? 1 : 0)
        c.firstRoom = configuration.firstRoom + firstGroup
        if configuration.hasCustomSizes {
            c.roomSizes = Array(configuration.roomSizes[firstGroup..<(firstGroup + groups)])
        } else {
            c.rooms = groups
        }
        c.seed = index == 0 ? configuration.seed : shardSeed(configuration.seed, index)
        let first = configuration.firstClient(ofRoom: firstGroup)
        let clients = first..<configuration.firstClient(ofRoom: firstGroup + groups)
        let rooms = c.firstRoom..<(c.firstRoom + groups)
        c.population = configuration.population?.filter { rooms.contains($0.room) }
        c.faultSchedule = configuration.faultSchedule?.filter { $0.client.map { rooms.contains($0.room) } ?? true }
        c.stepLimits = configuration.stepLimits.filter { rooms.contains($0.key.room) }
        c.script = configuration.script.compactMap { fault in
            guard clients.contains(fault.client) else { return nil }
            var f = fault
            f.client -= first
            return f
        }
        return c
    }

    /// A seed of its own for shard `index` (SplitMix64's finaliser of the pair).
    static func shardSeed(_ seed: UInt64, _ index: Int) -> UInt64 {
        var z = seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// When the run ends (the same for every shard).
    public var endInstant: Instant { shards[0].endInstant }
    /// Events run so far, all shards together.
    public var executedCount: Int { shards.reduce(0) { $0 + $1.scheduler.executedCount } }
    /// How far every shard has run.
    public private(set) var reached = Instant.zero

    /// Runs every shard to the end. Throws the ``SimulationFailure`` that comes first in virtual
    /// time (then in shard order), whatever `jobs` and `window` are. `progress` is called after
    /// each window with the fraction done.
    public func run(progress: ((Double) -> Void)? = nil) throws -> SimulationReport {
        if shards.count == 1 {
            shards[0].reproduceCommand = reproduceCommand
            return try shards[0].run(progress: progress)
        }
        let wallStart = ContinuousClock.now
        try advance(to: endInstant, progress: progress)
        let failures = forEachShard { try $0.checkInvariants(final: true) }
        if let first = failures.min(by: { $0.0 < $1.0 }) { throw describe(first.1, shard: first.0) }
        let wall = ContinuousClock.now - wallStart
        return SimulationReport(configuration, tally: .merged(shards.map(\.tally)), wall: Double(wall.nanoseconds) / 1e9)
    }

    /// Runs every shard up to `end`, a window at a time (for stepping a run by hand, e.g. to
    /// measure memory mid-run). Throws like ``run(progress:)``.
    public func advance(to end: Instant, progress: ((Double) -> Void)? = nil) throws {
        while reached < end {
            let next = min(reached + window, end)
            let failures = forEachShard { try $0.advance(to: next) }
            if let first = failures.min(by: { ($0.1.time, $0.0) < ($1.1.time, $1.0) }) { throw describe(first.1, shard: first.0) }
            reached = next
            progress?(Double(reached.nanoseconds) / Double(endInstant.nanoseconds))
        }
    }

    /// Runs `body` on every shard, `jobs` at a time, and returns the shards that failed.
    private func forEachShard(_ body: @escaping (Simulation) throws -> Void) -> [(Int, SimulationFailure)] {
        let work = WindowWork(shards: shards, body: body)
        if jobs == 1 || shards.count == 1 {
            while let i = work.nextIndex() { work.run(i) }
        } else {
            DispatchQueue.concurrentPerform(iterations: min(jobs, shards.count)) { _ in
                while let i = work.nextIndex() { work.run(i) }
            }
        }
        return work.failures
    }

    /// A shard's failure as the run's: which shard and rooms, and the command for the whole run.
    private func describe(_ failure: SimulationFailure, shard index: Int) -> SimulationFailure {
        let c = shards[index].configuration
        var f = failure
        f.invariant = "shard \(index) of \(shards.count) (room-\(c.firstRoom)…room-\(c.firstRoom + c.rooms - 1)): \(failure.invariant)"
        f.seed = configuration.seed
        f.reproduce = reproduceCommand ?? configuration.commandLine
        return f
    }
}

/// One window's work list: shards are handed out one at a time, so each is touched by one worker
/// at a time, and the window ends only when every worker is done.
private final class WindowWork: @unchecked Sendable {  // `lock` guards `next` and `failed`; a shard is run by the worker that took it
    private let shards: [Simulation]
    private let body: (Simulation) throws -> Void
    private let lock = NSLock()
    private var next = 0
    private var failed: [(Int, SimulationFailure)] = []

    init(shards: [Simulation], body: @escaping (Simulation) throws -> Void) {
        self.shards = shards
        self.body = body
    }

    func nextIndex() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard next < shards.count else { return nil }
        next += 1
        return next - 1
    }

    func run(_ index: Int) {
        do {
            try body(shards[index])
        } catch {
            let failure = error as? SimulationFailure
                ?? SimulationFailure(invariant: "\(error)", seed: shards[index].configuration.seed,
                                     time: shards[index].scheduler.now, lastEvents: [], reproduce: "")
            lock.lock()
            failed.append((index, failure))
            lock.unlock()
        }
    }

    var failures: [(Int, SimulationFailure)] {
        lock.lock()
        defer { lock.unlock() }
        return failed
    }
}
