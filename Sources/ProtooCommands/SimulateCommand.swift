import ArgumentParser
import Foundation
import Protoo
import ProtooScenarios
import ProtooSimulator
import ProtooTrace

struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the real engine and app against simulated clients on virtual time.",
        discussion: """
        Same seed ⇒ same events, byte for byte: the printed digest identifies the run.
        --seeds A..B runs every seed in the range with a fault profile drawn from each seed and
        prints the command that reproduces each failing one.
        """
    )

    @Option(help: "\(CommandRegistry.current.scenarioNames.joined(separator: " | "))") var scenario: String = CommandRegistry.current.defaultScenario
    @Option(help: "Number of rooms.") var rooms: Int = 10
    @Option(name: .customLong("peers-per-room"), help: "Peers in each room.") var peersPerRoom: Int = 6
    @Option(name: .customLong("room-sizes"), help: "Peers in each room, room by room, e.g. 9,6,3 (rooms of different sizes; instead of --rooms and --peers-per-room).")
    var roomSizes: String?
    @Option(help: "Virtual time until everyone leaves (e.g. 90s, 10m).") var duration: DurationArgument = DurationArgument(argument: "10m")!
    @Option(name: .customLong("arrival-window"), help: "Peers arrive uniformly at random within this time from the start (e.g. 30s, 0s for all at once).")
    var arrivalWindow: DurationArgument = DurationArgument(argument: "30s")!
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "Run every seed in an inclusive range, e.g. 1..200 (faults drawn per seed).") var seeds: SeedRange?
    @Option(help: "Fault profile: none | light | heavy | random (drawn from the seed).") var faults: String = "none"
    @Option(help: "With --seeds: run partition I of N (0-based: every N-th seed from the I-th), for a job runner; N alone takes I from JOB_COMPLETION_INDEX. Merge the partitions' --json with `protoo report merge`.")
    var partition: PartitionArgument?
    @Option(help: "Spread the rooms over this many independent server shards, run side by side (default: 1, one server holding every room).") var shards: Int = 1
    @Option(help: "Run the app on this many servers behind a simulated balancer that pins each room to one server (roomId hashed consistently, as deploy/haproxy does); checks that no room is split.")
    var servers: Int = 1
    @Option(name: .customLong("fault-server-crash"), help: "With --servers: server processes dying, per server per minute (their clients reconnect and are re-homed; the last server never dies).")
    var faultServerCrash: Double?
    @Option(name: .customLong("shard-window"), help: ArgumentHelp("With --shards: virtual time each shard runs before the next window (a speed knob; results do not depend on it).", visibility: .hidden))
    var shardWindow: DurationArgument = DurationArgument(argument: "30s")!
    @Option(help: "With --seeds: how many runs at a time; with --shards: how many shards (default: one per core). Results do not depend on it.") var jobs: Int?
    @Flag(help: "Run same-instant events in a seeded random order (explores races).") var shuffle = false
    @Flag(help: "Print one JSON object instead of the summary.") var json = false
    @Option(help: "Record the server's traffic to a trace file (.ptrace.zst or .jsonl); never over an existing file.") var record: String?
    @Flag(name: .customLong("record-overwrite"), help: "Replace an existing recording at --record's path.") var recordOverwrite = false
    @Flag(help: "When the run breaks an invariant, search for the smallest run that breaks the same one (fewest rooms, peers, faults, client steps, then the shortest duration), print it and write it as a repro file.")
    var minimize = false
    @Option(name: [.customShort("o"), .customLong("output")], help: "With --minimize: the repro file to write (default repro-seed-S.json; never over an existing file). With --seeds: each failing seed's file is named after it (repro-seed-S.json).")
    var output: String?
    @Option(name: .customLong("minimize-budget"), help: "With --minimize: wall-clock time the search may take per failing seed (default 3m); the best run found so far is kept.")
    var minimizeBudget: DurationArgument = DurationArgument(argument: "3m")!
    @Option(help: "Rerun exactly the run of a repro file written by --minimize (its scenario, clients, faults and seed; other run flags are ignored). Exit 1 when its invariant breaks.")
    var repro: String?
    @Flag(name: .customLong("check-determinism"),
          help: "Run the seed twice, the second time in a fresh process (another hash seed: Dictionary and Set orders change), and report the first event that differs.")
    var checkDeterminism = false

    func validate() throws {
        guard CommandRegistry.current.scenario(named: scenario) != nil else {
            throw ValidationError("unknown scenario '\(scenario)'; use one of: \(CommandRegistry.current.scenarioNames.joined(separator: ", "))")
        }
        guard faults == "random" || FaultProfile.named(faults) != nil else {
            throw ValidationError("unknown fault profile '\(faults)'; use none, light, heavy or random")
        }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        guard rooms > 0, peersPerRoom > 0 else { throw ValidationError("--rooms and --peers-per-room must be positive") }
        if roomSizes != nil {
            guard let sizes, !sizes.isEmpty, sizes.allSatisfy({ $0 > 0 }) else {
                throw ValidationError("--room-sizes must be positive counts separated by commas, e.g. 9,6,3")
            }
        }
        let roomCount = sizes?.count ?? rooms
        guard shards >= 1, shards <= roomCount else {
            throw ValidationError("--shards must be between 1 and \(sizes == nil ? "--rooms" : "the number of --room-sizes") (\(roomCount)): a shard holds at least one room")
        }
        guard servers >= 1 else { throw ValidationError("--servers must be at least 1") }
        if servers > 1, shards > 1 { throw ValidationError("--servers runs one simulation of several servers behind a balancer: drop --shards") }
        if servers > 1, record != nil {
            throw ValidationError("--record records one server's traffic: a run of --servers \(servers) mixes them (drop --servers to record)")
        }
        if let faultServerCrash, faultServerCrash < 0 || servers == 1 {
            throw ValidationError("--fault-server-crash is a rate (0 or more) per server per minute, with --servers 2 or more")
        }
        if shards > 1, record != nil {
            throw ValidationError("--record records one server's traffic: drop --shards (or use --shards 1) to record")
        }
        if checkDeterminism, seeds != nil || shards > 1 || record != nil {
            throw ValidationError("--check-determinism runs one seed on one server: drop --seeds, --shards and --record")
        }
        if minimize || repro != nil {
            guard shards == 1, !checkDeterminism else {
                throw ValidationError("--minimize and --repro run one server: drop --shards and --check-determinism")
            }
        }
        if minimize {
            guard repro == nil else { throw ValidationError("--repro reruns a minimised run: drop --minimize") }
            guard record == nil else { throw ValidationError("--minimize does not record: rerun the repro file with --repro FILE --record TRACE") }
            guard minimizeBudget.duration > .zero else { throw ValidationError("--minimize-budget must be positive, e.g. 60s") }
        }
        if output != nil, !minimize { throw ValidationError("-o names --minimize's repro file: add --minimize") }
        if let output, seeds == nil, FileManager.default.fileExists(atPath: output) {
            throw ValidationError("\(output) exists: choose another -o path (nothing is written over a file)")
        }
        if repro != nil, seeds != nil { throw ValidationError("--repro reruns one run: drop --seeds") }
        if partition != nil, seeds == nil {
            throw ValidationError("--partition splits a swarm: give --seeds A..B (and --partition I/N, or N with JOB_COMPLETION_INDEX set)")
        }
        guard arrivalWindow.duration < duration.duration else {
            throw ValidationError("--arrival-window must be shorter than --duration (everyone leaves at --duration)")
        }
    }

    /// `--room-sizes` as counts (`nil` when absent or not a list of integers).
    var sizes: [Int]? {
        guard let roomSizes else { return nil }
        let parts = roomSizes.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.allSatisfy({ $0 != nil }) else { return nil }
        return parts.compactMap { $0 }
    }

    func configuration(seed: UInt64, faults profileName: String) -> SimulationConfiguration {
        var c = SimulationConfiguration()
        c.scenario = .init(rawValue: scenario)
        c.rooms = rooms
        c.peersPerRoom = peersPerRoom
        if let sizes { c.roomSizes = sizes }
        c.shards = shards
        c.servers = servers
        c.duration = duration.duration
        c.arrivalWindow = arrivalWindow.duration
        c.seed = seed
        c.shuffleSameInstant = shuffle
        if profileName == "random" {
            var r = SeededRandom(seed: seed ^ 0x5357_524D)
            c.faults = .randomized(&r)
        } else {
            c.faults = FaultProfile.named(profileName)!  // validate() checked the name
        }
        if let faultServerCrash { c.faults.serverCrashRate = faultServerCrash }
        return c
    }

    func reproduce(seed: UInt64, faults: String) -> String {
        let size = roomSizes.map { "--room-sizes \($0)" } ?? "--rooms \(rooms) --peers-per-room \(peersPerRoom)"
        return "\(CommandRegistry.current.commandName) simulate --scenario \(scenario) \(size) --duration \(duration) --seed \(seed) --faults \(faults)\(shards > 1 ? " --shards \(shards)" : "")\(servers > 1 ? " --servers \(servers)" : "")\(faultServerCrash.map { " --fault-server-crash \($0)" } ?? "")\(arrivalWindow.duration == .seconds(30) ? "" : " --arrival-window \(arrivalWindow)")\(shuffle ? " --shuffle" : "")"
    }

    func run() throws {
        // One run at a time is memory-bound: put its heap on huge pages (re-executes once; same
        // results). Parallel swarm jobs and shards keep glibc's per-thread arenas instead.
        let threads = (seeds != nil || shards > 1) ? jobs ?? ProcessInfo.processInfo.activeProcessorCount : 1
        if threads == 1 { HugePages.reexecIfUseful() }
        if let repro { return try rerun(repro: repro) }
        if let seeds { return try swarm(seeds.range, threads: threads) }
        if minimize { return try minimizeOne(seed: seed) }
        if checkDeterminism { return try DeterminismCheck(command: self).run() }
        let config = configuration(seed: seed, faults: faults)
        let scenario = CommandRegistry.current.scenario(named: self.scenario)!  // validate() checked the name
        if shuffle, record != nil {
            FileHandle.standardError.write(Data("""
                protoo simulate: note: this trace is for reading (protoo trace info/cat), not for protoo replay: \
                --shuffle ran same-instant server timers in a seeded order, and replay runs them in order of \
                scheduling, so the server's random draws would differ. Record without --shuffle to replay.

                """.utf8))
        }
        let recorder: TraceRecorder?
        do {
            recorder = try record.map { try makeRecorder(path: $0, config: config) }
        } catch {
            writeToStandardError("protoo simulate: \(error)\n")
            throw ExitCode(2)
        }
        defer {
            do { try recorder?.close() } catch {
                FileHandle.standardError.write(Data("error: closing the trace failed: \(error)\n".utf8))
            }
        }
        let simulation = recorder.map { ShardedSimulation(Simulation(config, scenario: scenario, tap: $0)) }
            ?? ShardedSimulation(config, scenario: scenario, jobs: threads, window: shardWindow.duration)
        simulation.reproduceCommand = reproduce(seed: seed, faults: faults)
        let bar = ProgressBar(label: "simulate")
        do {
            let report = try simulation.run(progress: bar.update)
            bar.finish()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print(report.text)
            }
        } catch let failure as SimulationFailure {
            bar.finish()
            FileHandle.standardError.write(Data("\(failure)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// A recorder of the run's traffic at `path` (it blocks rather than drop: a simulation loses nothing).
    func makeRecorder(path: String, config: SimulationConfiguration) throws -> TraceRecorder {
        var header = TraceHeader(createdAtUnixNanoseconds: Int64(Date().timeIntervalSince1970 * 1e9),
                                 producerName: "\(CommandRegistry.current.toolName) simulate", producerVersion: "0.1.0",
                                 host: ProcessInfo.processInfo.hostName, scenario: config.scenario.rawValue, seed: config.seed)
        header.monotonicOrigin = .zero
        var rc = TraceRecorderConfiguration(path: path, header: header)
        rc.overflowPolicy = .block  // a simulation must lose nothing: wait for the writer instead
        rc.overwritesExisting = recordOverwrite
        return try TraceRecorder(configuration: rc)
    }

    private func swarm(_ range: ClosedRange<UInt64>, threads: Int) throws {
        let profile = faults == "none" ? "random" : faults
        let seedList = partition.map { Swarm.seeds(of: range, partition: $0.index, of: $0.count) } ?? Array(range)
        var failures: [(UInt64, SimulationFailure)] = []
        var results: [[String: String]] = []
        let bar = ProgressBar(label: "swarm")
        let command = self
        let total = Double(seedList.count)
        let outcomes = Swarm.run(seeds: seedList, jobs: threads, scenario: CommandRegistry.current.scenario(named: scenario)!,  // validate() checked the name

                                 configure: { s in (command.configuration(seed: s, faults: profile), command.reproduce(seed: s, faults: profile)) },
                                 progress: { done in bar.update(Double(done) / total) })
        bar.finish()
        for outcome in outcomes {
            let s = outcome.seed
            if let failure = outcome.failure {
                failures.append((s, failure))
                var entry = ["seed": String(s), "status": "failed", "invariant": failure.invariant, "reproduce": failure.reproduce]
                if minimize, let minimized = try minimizeInSwarm(seed: s, profile: profile) {
                    entry["repro"] = minimized.path
                    entry["minimal"] = minimized.summary
                }
                results.append(entry)
            } else {
                results.append(["seed": String(s), "digest": outcome.digest ?? "", "status": "ok"])
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            if let partition {
                print(String(decoding: try encoder.encode(SwarmPartitionJSON(seeds: results, partition: partition.description,
                                                                             range: "\(range.lowerBound)..\(range.upperBound)")), as: UTF8.self))
            } else {
                print(String(decoding: try encoder.encode(["seeds": results]), as: UTF8.self))
            }
        } else {
            let share = partition.map { " (partition \($0) of \(range.lowerBound)..\(range.upperBound))" } ?? ""
            print("swarm: \(seedList.count) seeds\(share), \(failures.count) failed")
            for (s, f) in failures {
                print("seed \(s): \(f.invariant) at \(f.time)\n  reproduce: \(f.reproduce)")
                if let entry = results.first(where: { $0["seed"] == String(s) }), let path = entry["repro"] {
                    print("  minimal: \(entry["minimal"] ?? "")\n  repro: \(path) (rerun: \(CommandRegistry.current.commandName) simulate --repro \(path))")
                }
            }
        }
        if !failures.isEmpty { throw ExitCode(1) }
    }
}
