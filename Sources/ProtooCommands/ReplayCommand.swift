import ArgumentParser
import Foundation
import Protoo
import ProtooApps
import ProtooLiveReplay
import ProtooReplay
import ProtooTrace
import ProtooVerdict

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay a trace against an app on virtual time (or a live server) and compare the server's output.",
        discussion: """
        The recorded clients are played back (connections, messages, closes at their recorded times;
        answers to server requests after their recorded delay) and every server event is compared,
        connection by connection, with the recording.
        A recording cut off by a crash is compared up to its last complete record (said on stderr).
        Rules (--rules FILE, JSON) say which values are volatile; see docs/replay.md.

        With --target ws://HOST:PORT/ the trace is replayed live, over real WebSockets, against a
        running protoo server (any: this project's, the JavaScript protoo-server): same rules and
        report; --app and --seed do not apply; --threshold and --junit make it a CI gate. Example:
          protoo replay session.ptrace.zst --target ws://127.0.0.1:4443/ --threshold 'p99<50ms' --junit replay.xml

        Exit codes: 0 something was compared, nothing diverged, every threshold met; 1 a divergence
        or a failed threshold; 2 could not run (bad arguments, unreadable trace or rules, target
        unreachable, nothing compared: use --allow-empty to accept that).
        """
    )

    @Argument(help: "The trace (.ptrace.zst or .jsonl); for a recording split by --record-rotate-*, its files in order (run.ptrace.zst run.0*.ptrace.zst).")
    var paths: [String]
    @Option(help: "The app to run: \(CommandRegistry.current.appNames.joined(separator: " | ")).") var app: String = CommandRegistry.current.defaultApp
    @Option(help: "max (as fast as the server answers; virtual time only in-process) or a pace such as 1x, 10x.")
    var speed: String = ReplaySpeed.defaultArgument
    @Option(help: "A rules file (JSON) added to the default rules.") var rules: String?
    @Option(help: "Engine seed: auto (the trace's, for simulated traces) or a number.") var seed: String = "auto"
    @Flag(help: "Require the app to make every recorded server-side close itself.") var strictCloses = false
    @Flag(help: "Print one JSON object instead of the summary.") var json = false
    @Option(help: "Replay live against this running server (ws://host:port/ or wss://; a query here is merged into every recorded URL, e.g. ?token=abc) instead of an app in-process.")
    var target: String?
    @Option(help: "Live replay: how long a client event waits for the server events recorded before it (e.g. 5s).")
    var wait = DurationArgument(argument: "5s")!
    @Flag(help: "When the replay diverges, search for the smallest trace (by connections, then client messages) whose replay diverges the same way (same first divergence: kind, method, JSON path) and write it with -o. In-process only.")
    var minimize = false
    @Option(name: [.customShort("o"), .customLong("output")], help: "With --minimize: the cut trace to write (.ptrace.zst, .ptrace or .jsonl; default TRACE-min.ptrace.zst; never over an existing file).")
    var output: String?
    @Option(name: .customLong("minimize-budget"), help: "With --minimize: wall-clock time the search may take (default 3m); the best trace found so far is kept.")
    var minimizeBudget: DurationArgument = DurationArgument(argument: "3m")!
    @OptionGroup var verdict: VerdictOptions

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("give the trace to replay") }
        guard CommandRegistry.current.app(named: app) != nil else {
            throw ValidationError("unknown app '\(app)'; use one of: \(CommandRegistry.current.appNames.joined(separator: ", "))")
        }
        guard ReplaySpeed(argument: speed) != nil else { throw ValidationError("--speed must be max or a pace like 1x, 10x") }
        guard seed == "auto" || UInt64(seed) != nil else { throw ValidationError("--seed must be auto or an unsigned integer") }
        if target == nil, !verdict.thresholds.isEmpty {
            throw ValidationError("--threshold judges what a live replay measures: use it with --target (in-process, the verdict is the comparison)")
        }
        try verdict.checkJUnitPath(against: paths)
        if minimize {
            guard target == nil else {
                throw ValidationError("--minimize replays in-process, many times over: drop --target and give --app (record the live server's traffic with protoo proxy --record to minimise it)")
            }
            guard minimizeBudget.duration > .zero else { throw ValidationError("--minimize-budget must be positive, e.g. 60s") }
        }
        if let output {
            guard minimize else { throw ValidationError("-o names --minimize's cut trace: add --minimize") }
            guard !paths.contains(output) else { throw ValidationError("-o \(output) is an input: a tool never writes over its input") }
            guard !FileManager.default.fileExists(atPath: output) else {
                throw ValidationError("\(output) exists: choose another -o path (nothing is written over a file)")
            }
        }
    }

    func run() throws {
        if let target { return try runLive(target) }
        var options = ReplayOptions()
        options.speed = ReplaySpeed(argument: speed)!  // validate() checked it
        options.seed = UInt64(seed).map(ReplaySeed.fixed) ?? .automatic
        options.serverCloses = strictCloses ? .expect : .replayMissing
        options.allowsEmpty = verdict.allowEmpty
        do {
            if let rules { options.rules = try ReplayRules(contentsOfFile: rules) }
        } catch {
            couldNotRun("\(error)")
        }
        let factory = CommandRegistry.current.app(named: app)!  // validate() checked the name
        if minimize { try minimizeTrace(options: options, app: factory) }
        let last = paths[paths.count - 1]
        if let next = TraceSegments.continuations(of: last).first {
            writeToStandardError("""
                protoo replay: note: \(next) continues this recording; a request at the end of \(last) is \
                answered there. Give all the files in order to replay across them.

                """)
        }
        let bar = ProgressBar(label: "replay")
        let report: ReplayReport
        do {
            report = try Replayer(path: paths[0], continuations: Array(paths.dropFirst()), options: options, app: factory)
                .run(progress: bar.update)
        } catch {
            bar.finish()
            couldNotRun("\(error)")
        }
        bar.finish()
        if let truncation = report.truncation { writeToStandardError("protoo replay: \(truncation)\n") }
        for damage in report.metadataDamage { writeToStandardError("protoo replay: warning: \(damage)\n") }
        if report.verdict == .couldNotRun { writeToStandardError("protoo replay: \(report.verdictReason)\n") }
        print(json ? report.json.description : report.description)
        let wrote = verdict.write(inProcessJUnit(report), tool: "protoo replay")
        try finishRun(wrote ? report.verdict : report.verdict.combined(with: .couldNotRun))
    }

    private func inProcessJUnit(_ report: ReplayReport) -> JUnitReport {
        var c = JUnitReport.TestCase(name: "replay of \(paths[0]) against app \(app)", className: "replay", seconds: report.wallSeconds)
        if report.verdict != .passed {
            c.failure = (report.verdictReason, report.divergences.map(\.description).joined(separator: "\n\n"))
        }
        return JUnitReport(suiteName: "protoo replay", seconds: report.wallSeconds, testCases: [c])
    }

    private func runLive(_ target: String) throws {
        var options = LiveReplayOptions()
        options.speed = ReplaySpeed(argument: speed)!  // validate() checked it
        options.waitForServer = wait.duration
        options.thresholds = verdict.parsed
        options.allowsEmpty = verdict.allowEmpty
        let replayer: LiveReplayer
        do {
            if let rules { options.rules = try ReplayRules(contentsOfFile: rules) }
            replayer = try LiveReplayer(path: paths[0], continuations: Array(paths.dropFirst()), target: target, options: options)
        } catch {
            couldNotRun("\(error)")
        }
        let progress = LiveProgress()
        let control = LiveRunControl()
        let interrupt = InterruptHandler { control.stop() }
        let line = ProgressLine(label: "replay") {
            let s = progress.snapshot
            return "\(s.connectionsOpened) connections · \(s.serverEventsCompared) server events compared · \(s.divergences) divergences"
        }
        let report: LiveReplayReport
        do {
            report = try replayer.run(progress: progress, control: control)
        } catch {
            line.finish()
            interrupt.finish()
            couldNotRun("\(error)")
        }
        line.finish()
        interrupt.finish()
        if let truncation = report.truncation { writeToStandardError("protoo replay: \(truncation)\n") }
        if report.verdict == .couldNotRun { writeToStandardError("protoo replay: \(report.verdictReason)\n") }
        print(json ? report.json.description : report.description)
        let wrote = verdict.write(report.junit(suiteName: "protoo replay \(paths[0]) against \(target)"), tool: "protoo replay")
        try finishRun(wrote ? report.verdict : report.verdict.combined(with: .couldNotRun))
    }

    func couldNotRun(_ message: String) -> Never {
        writeToStandardError("protoo replay: \(message)\n")
        Foundation.exit(Verdict.couldNotRun.exitCode)
    }
}
