import ArgumentParser
import Synchronization
import Foundation
import Protoo
import ProtooLiveReplay
import ProtooLoad
import ProtooReplay
import ProtooVerdict

/// `protoo load`: a load generator on the Swift client against any protoo server.
struct Load: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Load a protoo server: N peers, K requests in flight each (or an open arrival rate), or your recorded traffic multiplied.",
        discussion: """
            Each peer connects to URL with peerId=load-<i> appended to the query (unless it has a peerId), \
            keeping the rest of the query (e.g. roomId).

            Example, against `protoo serve --app conformance`:
              protoo load ws://127.0.0.1:4443/ --peers 200 --duration 10s --inflight 4 --threshold 'p99<5ms'

            With --trace PATH, the load is your recorded traffic: --copies N copies of the recorded \
            sessions, each with its own peer and room ids (<id>-<copy>), answering the server's \
            requests as recorded and compared with the recording (under --rules); --duration loops \
            them (fresh ids each pass) until it is over, --ramp-up spreads the copies' starts:
              protoo load ws://127.0.0.1:4443/ --trace session.ptrace.zst --copies 50 --duration 20s --ramp-up 5s \
            --threshold 'p99<50ms' --threshold 'divergences==0' --junit load.xml

            With --scenario NAME, the load is the simulator's clients of that scenario (conference, echo, \
            or your tool's own), each on a real WebSocket with roomId/peerId as the simulator sets them, \
            the seed's faults injected into those connections (--faults, --fault-*), and the clients' \
            invariants checked all along (a response to an unknown or already answered request, an \
            invalid message, your scenario's clientInvariant…):
              protoo load ws://127.0.0.1:4443/ --scenario conference --rooms 20 --duration 60s --faults light --threshold 'p99<200ms'
            A broken invariant fails the run (exit 1) and is reported with the client, the time and its \
            last messages; failed requests alone do not (faults fail some): gate them with a threshold.

            Exit codes: 0 clean and every threshold met; 1 a failed threshold, or (without a threshold \
            on it) any failed request or divergence; 2 could not run (bad arguments, unreadable trace, \
            server unreachable, nothing measured: --allow-empty accepts that).
            """
    )

    @Argument(help: "The server: ws://host:port/path?query (or wss://).")
    var url: String

    @Option(help: "Peers to connect (not with --trace: use --copies; not with --scenario: use --rooms and --peers-per-room).")
    var peers: Int?

    @Option(help: "How long to issue requests (default 10s); with --trace, how long to loop the recording (default: one pass); with --scenario, until everyone leaves (default 60s).")
    var duration: DurationArgument?

    @Option(help: "Requests in flight per peer (closed loop; the cap per peer with --rate).")
    var inflight = 1

    @Option(help: "Request method.")
    var method = "echo"

    @Option(help: "Request payload size in bytes (data = {\"payload\": \"xxx…\"}; 0 sends {}).")
    var payload = 0

    @Option(help: "Open loop: total requests/s arriving over all peers (arrivals finding K in flight are dropped).")
    var rate: Double?

    @Option(help: "Client event-loop threads.")
    var threads = 1

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    @Option(help: "Replay this recording's sessions as the load (see --copies).")
    var trace: String?

    @Option(help: "With --trace: copies of the recorded sessions run at once.")
    var copies = 1

    @Option(help: "With --trace: max (each client event as soon as what it waits for is in) or a pace such as 1x, 10x.")
    var speed = ReplaySpeed.defaultArgument

    @Option(help: "With --trace: a rules file (JSON) added to the default rules, as `protoo replay --rules`.")
    var rules: String?

    @Option(name: .customLong("ramp-up"), help: "With --trace: spread the copies' starts over this time (e.g. 5s).")
    var rampUp: DurationArgument?

    @Option(help: "With --trace: how long a client event waits for the server events recorded before it.")
    var wait = DurationArgument(argument: "5s")!

    @Option(help: "Run partition I of N of this load (0-based; its share of --peers and --rate, with --trace of --copies, with --scenario of the rooms), for a job runner; N alone takes I from JOB_COMPLETION_INDEX. Merge the partitions' --json with `protoo report merge`.")
    var partition: PartitionArgument?

    @OptionGroup var scenarioOptions: ScenarioLoadOptions

    @OptionGroup(title: "Faults (with --scenario)") var faults: FaultOptions

    @OptionGroup var verdict: VerdictOptions

    func validate() throws {
        if let duration, duration.duration <= .zero { throw ValidationError("--duration must be positive") }
        if let scenario = scenarioOptions.scenario { return try validateScenario(scenario) }
        if scenarioOptions.anyGiven || faults.anyGiven {
            throw ValidationError("--rooms, --peers-per-room, --arrival-window, --drain-timeout, --seed and the fault flags apply with --scenario only (or put `protoo proxy --faults` in front of the server)")
        }
        if trace != nil {
            if peers != nil { throw ValidationError("--peers does not apply with --trace: the recording says who connects; use --copies N to multiply it") }
            if let partition, partition.block(of: copies).isEmpty {
                throw ValidationError("--partition \(partition): \(copies) copies leave nothing for this partition; use fewer partitions")
            }
            if rate != nil || inflight != 1 || method != "echo" || payload != 0 {
                throw ValidationError("--rate, --inflight, --method and --payload do not apply with --trace: the recording says what is sent")
            }
            guard copies >= 1 else { throw ValidationError("--copies must be at least 1") }
            guard ReplaySpeed(argument: speed) != nil else { throw ValidationError("--speed must be max or a pace like 1x, 10x") }
            try verdict.checkJUnitPath(against: [trace].compactMap { $0 })
            return
        }
        if copies != 1 || rules != nil || rampUp != nil {
            throw ValidationError("--copies, --rules and --ramp-up apply with --trace only")
        }
        do {
            try makeConfiguration().validate()
        } catch {
            throw ValidationError(error.description)
        }
        if let partition, partition.block(of: peers ?? 1).isEmpty {
            throw ValidationError("--partition \(partition): \(peers ?? 1) peers leave nothing for this partition; use fewer partitions")
        }
    }

    func run() async throws {
        if let scenario = scenarioOptions.scenario { return try await runScenario(scenario) }
        if let trace { return try runTrace(trace) }
        let configuration = makeConfiguration()
        // SIGINT from the start: while connecting it stops the run before it starts.
        let interrupted = InterruptFlag()
        let current = Mutex<LoadSession?>(nil)
        let interrupt = InterruptHandler {
            interrupted.set()
            current.withLock { $0 }?.stop()
        }
        let session: LoadSession
        do {
            session = try await LoadSession.connect(configuration)
        } catch {
            interrupt.finish()
            writeToStandardError("protoo load: \(error)\n")
            throw ExitCode(Verdict.couldNotRun.exitCode)
        }
        current.withLock { $0 = session }
        if interrupted.isSet { session.stop() }
        let line = ProgressLine(label: "load") { "of \(configuration.duration)" }
        let report = await session.run()
        line.finish()
        interrupt.finish()
        await session.close()
        if interrupted.isSet { writeToStandardError("protoo load: interrupted: the figures are up to there\n") }
        let thresholds = verdict.parsed.map { $0.evaluate(report.measurements) }
        let (outcome, reason) = Self.judge(report, thresholds: thresholds, allowEmpty: verdict.allowEmpty)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var object = try Self.jsonObject(report, thresholds: thresholds, outcome: outcome, reason: reason)
            if let partition {
                // What `protoo report merge` needs to combine the partitions exactly.
                object["partition"] = .string(partition.description)
                object["measurements"] = try JSONParser.parse(String(decoding: try encoder.encode(report.measurements), as: UTF8.self))
                object["connectTimesMilliseconds"] = .array(session.connectTimes.map { .double(Double($0.nanoseconds) / 1e6) })
            }
            print(JSONWriter.string(object))
        } else {
            print(Self.text(report, thresholds: thresholds, outcome: outcome, reason: reason))
        }
        let cases = thresholds.map(\.testCase) + [JUnitReport.TestCase(name: "run", className: "load", seconds: report.elapsedSeconds,
                                  failure: outcome == .passed ? nil : (reason, report.table))]
        let wrote = verdict.write(JUnitReport(suiteName: "protoo load \(url)", seconds: report.elapsedSeconds, testCases: cases), tool: "protoo load")
        throw ExitCode((wrote ? outcome : outcome.combined(with: .couldNotRun)).exitCode)
    }

    /// The verdict of a load run: could not run when nothing was measured (unless `allowEmpty`),
    /// failed on a failed request or threshold.
    static func judge(_ report: LoadReport, thresholds: [ThresholdResult], allowEmpty: Bool) -> (Verdict, String) {
        let finished = report.completed + report.errorCount
        let couldNotRun: String? = finished == 0 && !allowEmpty
            ? "nothing measured: no request was answered (--allow-empty accepts that)" : nil
        return VerdictRules.judge(couldNotRun: couldNotRun, divergences: 0, errors: report.errorCount + report.unfinished,
                                  thresholds: thresholds)
    }

    /// `--json`'s object: the report, the verdict and the thresholds.
    static func jsonObject(_ report: some Encodable, thresholds: [ThresholdResult], outcome: Verdict, reason: String) throws -> JSONValue {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var object = try JSONParser.parse(String(decoding: try encoder.encode(report), as: UTF8.self))
        object["verdict"] = .string(outcome.name)
        object["exitCode"] = JSONValue(Int(outcome.exitCode))
        object["reason"] = .string(reason)
        object["thresholds"] = .array(thresholds.map(\.json))
        return object
    }

    /// The summary: verdict, table, thresholds.
    static func text(_ report: LoadReport, thresholds: [ThresholdResult], outcome: Verdict, reason: String) -> String {
        var lines = ["load: \(outcome) (\(reason))", report.table]
        if !thresholds.isEmpty {
            lines.append("thresholds:")
            for t in thresholds { lines.append("  \(t)") }
        }
        return lines.joined(separator: "\n")
    }

    private func runTrace(_ trace: String) throws {
        var options = LiveReplayOptions()
        options.speed = ReplaySpeed(argument: speed)!  // validate() checked it
        options.waitForServer = wait.duration
        options.thresholds = verdict.parsed
        options.allowsEmpty = verdict.allowEmpty
        var load: TraceLoad
        do {
            if let rules { options.rules = try ReplayRules(contentsOfFile: rules) }
            load = try TraceLoad(path: trace, target: url, copies: copies, threads: threads, options: options)
        } catch {
            writeToStandardError("protoo load: \(error)\n")
            throw ExitCode(Verdict.couldNotRun.exitCode)
        }
        load.duration = duration?.duration
        load.rampUp = rampUp?.duration ?? .zero
        if let partition {
            let share = partition.block(of: copies)
            load.copies = share.count
            load.firstCopy = share.lowerBound + 1
            load.totalCopies = copies
        }
        let progress = LiveProgress()
        let control = LiveRunControl()
        let interrupt = InterruptHandler { control.stop() }
        let line = ProgressLine(label: "load") {
            let s = progress.snapshot
            return "\(s.connectionsOpened) connections · \(s.requestsAnswered) requests · \(s.sessionsFinished) passes done · \(s.divergences) divergences"
        }
        let report: TraceLoadReport
        do {
            report = try load.run(progress: progress, control: control)
        } catch {
            line.finish()
            interrupt.finish()
            writeToStandardError("protoo load: \(error)\n")
            throw ExitCode(Verdict.couldNotRun.exitCode)
        }
        line.finish()
        interrupt.finish()
        if report.verdict == .couldNotRun { writeToStandardError("protoo load: \(report.verdictReason)\n") }
        if json, let partition, case .object(var object) = report.json {
            // What `protoo report merge` needs to combine the partitions exactly.
            object["partition"] = .string(partition.description)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            object["measurements"] = (try? JSONParser.parse(String(decoding: try encoder.encode(report.measurements), as: UTF8.self))) ?? .null
            print(JSONValue.object(object).description)
        } else {
            print(json ? report.json.description : report.description)
        }
        let wrote = verdict.write(report.junit(suiteName: "protoo load \(trace) against \(url)"), tool: "protoo load")
        throw ExitCode((wrote ? report.verdict : report.verdict.combined(with: .couldNotRun)).exitCode)
    }

    private func makeConfiguration() -> LoadConfiguration {
        let total = peers ?? 1
        let share = partition?.block(of: total) ?? 0..<total
        var configuration = LoadConfiguration(url: url, peers: max(1, share.count), duration: duration?.duration ?? .seconds(10),
                                              inflight: inflight, method: method, payloadBytes: payload,
                                              rate: rate.map { $0 * Double(share.count) / Double(max(1, total)) }, threads: threads)
        configuration.firstPeer = share.lowerBound
        return configuration
    }
}
