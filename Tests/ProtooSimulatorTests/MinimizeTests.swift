import Foundation
import Protoo
import ProtooScenarios
@testable import ProtooSimulator
import ProtooTestSupport
import Testing

/// Shrinking a failing run: per-client random streams, the explicit fault schedule, ddmin, and
/// repro files that rerun the same run.
@Suite struct MinimizeTests {
    /// The planted race's run: 3 rooms of 4, a minute under heavy faults.
    private func configuration(seed: UInt64) -> SimulationConfiguration {
        var c = SimulationConfiguration()
        c.rooms = 3
        c.peersPerRoom = 4
        c.duration = .seconds(60)
        c.arrivalWindow = .seconds(5)
        c.drainTime = .seconds(40)
        c.faults = .heavy
        c.seed = seed
        return c
    }

    /// The first seed of 1…30 whose run breaks `no-ghost-tracks`.
    private func failingSeed() throws -> UInt64 {
        for seed in UInt64(1)...30 {
            do {
                _ = try Simulation(configuration(seed: seed), scenario: TrackApp.scenario()).run()
            } catch let failure as SimulationFailure where failure.name == "no-ghost-tracks" {
                return seed
            }
        }
        Issue.record("no seed of 1…30 broke the planted race")
        throw CancellationError()
    }

    @Test func removingAClientShiftsNoOtherClientsDraws() throws {
        var whole = SimulationConfiguration()
        whole.rooms = 3
        whole.peersPerRoom = 3
        whole.faults = .heavy
        whole.seed = 11
        var some = whole
        some.population = [ClientKey(room: 0, slot: 1), ClientKey(room: 2, slot: 2)]
        let a = Simulation(whole, scenario: TrackApp.scenario()), b = Simulation(some, scenario: TrackApp.scenario())
        a.prepare()
        b.prepare()
        for client in b.clients {
            #expect(a.client(client.key)?.peerId == client.peerId)
            #expect(a.client(client.key)?.random.next() == b.client(client.key)?.random.next())
        }
        let kept = Set(some.population ?? [])
        #expect(a.faultSchedule.filter { $0.client.map(kept.contains) ?? true } == b.faultSchedule)
        #expect(!b.faultSchedule.isEmpty)
    }

    @Test func anExplicitScheduleRunsExactlyAsTheDrawnOne() throws {
        var c = configuration(seed: 3)
        c.faults = .light
        c.script = [ScriptedFault(at: .seconds(20), client: 5, .drop)]
        let drawn = try Simulation(c, scenario: .echo).run()
        let repro = SimulationRepro(configuration: c, invariant: "none")
        #expect(repro.configuration.faultSchedule?.contains(PlannedFault(at: .seconds(20), .drop, client: ClientKey(room: 1, slot: 1))) == true)
        let explicit = try Simulation(repro: repro, scenario: .echo).run()
        #expect(drawn.digest == explicit.digest)
    }

    @Test func aReproFileRoundTripsExactly() throws {
        var c = configuration(seed: 9)
        c.latency = LatencyModel(base: .milliseconds(30), distribution: .uniform(spread: .nanoseconds(1_234_567)), bytesPerSecond: 1_000_000)
        c.stepLimits = [ClientKey(room: 1, slot: 2): 7]
        c.faults.clogDuration = .milliseconds(1_250)
        let repro = SimulationRepro(configuration: c, invariant: "no-ghost-tracks", failure: "text", events: 42)
        let again = try SimulationRepro(json: repro.json())
        #expect(again.json() == repro.json())
        #expect(again.configuration.faultSchedule == repro.configuration.faultSchedule)
        #expect(again.configuration.latency == c.latency)
        #expect(again.configuration.stepLimits == c.stepLimits)
        #expect(again.invariant == "no-ghost-tracks" && again.events == 42)
        let first = Simulation(repro: again, scenario: TrackApp.scenario()).reportSoFar()
        #expect(first.peers == 12)
    }

    @Test func aDamagedReproFileSaysWhatIsWrong() {
        #expect(throws: SimulationReproError.self) { try SimulationRepro(json: Data("{}".utf8)) }
        var json = String(decoding: SimulationRepro(configuration: configuration(seed: 1), invariant: "x").json(), as: UTF8.self)
        json = json.replacingOccurrences(of: "\"kind\" : \"drop\"", with: "\"kind\" : \"meteor\"")
        do {
            _ = try SimulationRepro(json: Data(json.utf8))
            Issue.record("an unknown fault kind was accepted")
        } catch {
            #expect(error.errorCode == .invalid)
            #expect(error.message.contains("meteor"))
        }
    }

    @Test func durationTextIsExact() {
        for ns: Int64 in [0, 1, 999, 1_000_000, 61_234_000_000, 90_000_000_001] {
            #expect(DurationText.parse(DurationText.format(.nanoseconds(ns))) == .nanoseconds(ns))
        }
    }

    @Test func thePlantedRaceShrinksToOneRoomAFewPeersAndFaults() throws {
        let seed = try failingSeed()
        let minimizer = SimulationMinimizer(scenario: TrackApp.scenario(), budget: .seconds(120))
        let result = try #require(minimizer.minimize(configuration(seed: seed)))
        #expect(result.failure.name == "no-ghost-tracks")
        #expect(result.minimal.populatedRooms == 1)
        #expect(result.minimal.clientKeys.count <= 3)
        #expect((result.minimal.faultSchedule ?? []).count <= 2)
        #expect(result.failure.events * 5 <= result.originalFailure.events,
                "events \(result.originalFailure.events) → \(result.failure.events)")
        #expect(result.runs > 2)

        // The repro reruns the same run: same failure, same digest, twice.
        let repro = try SimulationRepro(json: result.repro.json())
        var digests: [String] = []
        for _ in 0..<2 {
            let simulation = Simulation(repro: repro, scenario: TrackApp.scenario())
            #expect { try simulation.run() } throws: { ($0 as? SimulationFailure)?.name == "no-ghost-tracks" }
            digests.append(simulation.reportSoFar().digest)
        }
        #expect(digests[0] == digests[1] && digests[0] == result.report.digest)

        // The fixed app passes the same run.
        var fixed = repro.configuration
        fixed.scenario = "tracks-fixed"
        _ = try Simulation(fixed, scenario: TrackApp.scenario(fixed: true)).run()
    }

    @Test func aRunThatBreaksNothingHasNothingToMinimise() {
        var c = configuration(seed: 1)
        c.faults = .none
        #expect(SimulationMinimizer(scenario: TrackApp.scenario(), budget: .seconds(30)).minimize(c) == nil)
    }

    @Test func deltaDebuggingFindsTheTwoItemsThatMatter() {
        var tests = 0
        let items = Array(0..<64)
        let result = DeltaDebugging.minimize(items) { kept in
            tests += 1
            return kept.contains(17) && kept.contains(42)
        }
        #expect(result == [17, 42])
        #expect(tests < 2 * items.count)
    }
}
