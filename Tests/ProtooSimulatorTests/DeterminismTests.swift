import Foundation
import Testing
import Protoo
import ProtooApps
@testable import ProtooSimulator
@testable import ProtooScenarios

@Suite struct DeterminismTests {
    static func small(seed: UInt64, scenario: SimulationConfiguration.ScenarioName = .conference) -> SimulationConfiguration {
        var c = SimulationConfiguration()
        c.scenario = scenario
        c.rooms = 2
        c.peersPerRoom = 3
        c.duration = .seconds(20)
        c.arrivalWindow = .seconds(3)
        c.drainTime = .seconds(40)
        c.seed = seed
        var r = SeededRandom(seed: seed)
        c.faults = .randomized(&r)
        return c
    }

    /// 100 seeds, each run twice with faults drawn from the seed: identical digests.
    @Test func sameSeedSameDigestFor100Seeds() throws {
        var digests = Set<String>()
        for seed in UInt64(1)...100 {
            let a = try Simulation(Self.small(seed: seed)).run()
            let b = try Simulation(Self.small(seed: seed)).run()
            #expect(a.digest == b.digest, "seed \(seed)")
            #expect(a.messages == b.messages, "seed \(seed)")
            #expect(a.messages > 0)
            digests.insert(a.digest)
        }
        // Different seeds give different runs.
        #expect(digests.count == 100)
    }

    @Test func echoScenarioIsDeterministicToo() throws {
        let a = try Simulation(Self.small(seed: 5, scenario: .echo)).run()
        let b = try Simulation(Self.small(seed: 5, scenario: .echo)).run()
        #expect(a.digest == b.digest)
        #expect(a.clientRequests > 50)
    }

    @Test func shuffledSameInstantOrderIsStillDeterministic() throws {
        var c = Self.small(seed: 9)
        c.shuffleSameInstant = true
        let a = try Simulation(c).run()
        let b = try Simulation(c).run()
        #expect(a.digest == b.digest)
        let unshuffled = try Simulation(Self.small(seed: 9)).run()
        #expect(a.digest != unshuffled.digest)
    }

    /// An app that reads the wall clock (what engine code must never do) makes the digest
    /// differ between two runs of the same seed: the determinism check catches it.
    @Test func injectedWallClockReadIsCaught() throws {
        func run() throws -> String {
            try Simulation(Self.small(seed: 3), app: { WallClockApp(inner: ConferenceApp(context: $0)) }).run().digest
        }
        var digests = Set<String>()
        for _ in 0..<5 { digests.insert(try run()) }
        #expect(digests.count > 1)
    }
}

/// Wraps an app and leaks wall-clock time into the traffic.
final class WallClockApp: ProtooApp {
    let inner: any ProtooApp
    init(inner: any ProtooApp) { self.inner = inner }
    func handleConnection(_ request: ConnectionRequest) {
        inner.handleConnection(request)
        if case .accepted(let transport) = request.decision {
            transport.send(Message.notification(method: "serverTime",
                                                data: ["ns": .int(Int64(DispatchTime.now().uptimeNanoseconds))]).encode())
        }
    }
}

/// A broken invariant stops the run and says how to reproduce it.
@Suite struct InvariantFailureTests {
    /// An echo app that, after 5 virtual seconds, claims a closed room is still open.
    final class LeakyApp: ProtooApp, SimulationInspectable {
        let inner: EchoApp
        let closedRoom: Room
        let context: EngineContext
        init(context: EngineContext) {
            self.context = context
            inner = EchoApp(context: context)
            closedRoom = Room(context: context)
            closedRoom.close()
        }
        func handleConnection(_ request: ConnectionRequest) { inner.handleConnection(request) }
        var openRooms: [Room] {
            context.now > Instant.zero + .seconds(5) ? inner.openRooms + [closedRoom] : inner.openRooms
        }
    }

    @Test func brokenInvariantReportsSeedTimeEventsAndCommand() throws {
        var c = DeterminismTests.small(seed: 77, scenario: .echo)
        c.faults = .none
        c.script = [ScriptedFault(at: .milliseconds(5_500), client: 0, .drop)]
        c.history = 40
        let simulation = Simulation(c, app: { LeakyApp(context: $0) })
        do {
            _ = try simulation.run()
            Issue.record("the run should have failed")
        } catch let failure as SimulationFailure {
            #expect(failure.invariant.contains("closed room"))
            #expect(failure.seed == 77)
            #expect(failure.time > Instant.zero + .seconds(5))
            #expect(failure.time <= Instant.zero + .seconds(6))
            #expect(failure.lastEvents.count == c.history)  // the ring is full: plenty happened
            #expect(failure.lastEvents.contains { $0.contains("fault: drop of room-0/0 at 5.5s") })
            #expect(failure.reproduce.contains("--seed 77"))
            #expect(failure.description.contains("reproduce:"))
        }
    }
}

/// Swarm runs side by side give what they give one at a time, in seed order.
@Suite struct SwarmTests {
    @Test func parallelSwarmMatchesRunsOneAtATime() {
        let seeds: ClosedRange<UInt64> = 40...63
        let configure: @Sendable (UInt64) -> (SimulationConfiguration, reproduce: String?) = { (DeterminismTests.small(seed: $0), nil) }
        let alone = seeds.map { seed in try? Simulation(DeterminismTests.small(seed: seed)).run().digest }
        let one = Swarm.run(seeds: seeds, jobs: 1, configure: configure)
        let four = Swarm.run(seeds: seeds, jobs: 4, configure: configure)
        #expect(one.map(\.seed) == Array(seeds))
        #expect(four.map(\.seed) == Array(seeds))
        #expect(one.map(\.digest) == alone)
        #expect(four.map(\.digest) == alone)
        #expect(four.allSatisfy { $0.failure == nil && $0.digest != nil })
        #expect(Set(four.compactMap(\.digest)).count == seeds.count)
    }
}
