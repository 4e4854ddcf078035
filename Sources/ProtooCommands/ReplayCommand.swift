import ArgumentParser
import Foundation
import Protoo
import ProtooApps
import ProtooLiveReplay
import ProtooReplay
import ProtooTrace

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay a trace against an app on virtual time and compare the server's output.",
        discussion: """
        The recorded clients are played back (connections, messages, closes at their recorded times;
        answers to server requests after their recorded delay) and every server event is compared,
        connection by connection, with the recording. Exit code 0 only when nothing diverged.
        A recording cut off by a crash is compared up to its last complete record (said on stderr).
        Rules (--rules FILE, JSON) say which values are volatile; see docs/replay.md.

        With --target ws://HOST:PORT/ the trace is replayed live, over real WebSockets, against a
        running protoo server (any: this project's, the JavaScript protoo-server): same rules,
        report and exit code; --app and --seed do not apply. Example:
          protoo replay session.ptrace.zst --target ws://127.0.0.1:4443/ --speed max
        """
    )

    @Argument(help: "The trace (.ptrace.zst or .jsonl); for a recording split by --record-rotate-*, its files in order (run.ptrace.zst run.0*.ptrace.zst).")
    var paths: [String]
    @Option(help: "The app to run: \(CommandRegistry.current.appNames.joined(separator: " | ")).") var app: String = CommandRegistry.current.defaultApp
    @Option(help: "max (virtual time only) or a pace such as 1x, 10x.") var speed: String = "max"
    @Option(help: "A rules file (JSON) added to the default rules.") var rules: String?
    @Option(help: "Engine seed: auto (the trace's, for simulated traces) or a number.") var seed: String = "auto"
    @Flag(help: "Require the app to make every recorded server-side close itself.") var strictCloses = false
    @Flag(help: "Print one JSON object instead of the summary.") var json = false
    @Option(help: "Replay live against this running server (ws://host:port/ or wss://) instead of an app in-process.")
    var target: String?
    @Option(help: "Live replay: how long a client event waits for the server events recorded before it (e.g. 5s).")
    var wait = DurationArgument(argument: "5s")!

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("give the trace to replay") }
        guard CommandRegistry.current.app(named: app) != nil else {
            throw ValidationError("unknown app '\(app)'; use one of: \(CommandRegistry.current.appNames.joined(separator: ", "))")
        }
        guard ReplaySpeed(argument: speed) != nil else { throw ValidationError("--speed must be max or a pace like 1x, 10x") }
        guard seed == "auto" || UInt64(seed) != nil else { throw ValidationError("--seed must be auto or an unsigned integer") }
    }

    func run() throws {
        if let target { return try runLive(target) }
        var options = ReplayOptions()
        options.speed = ReplaySpeed(argument: speed)!
        options.seed = UInt64(seed).map(ReplaySeed.fixed) ?? .automatic
        options.serverCloses = strictCloses ? .expect : .replayMissing
        if let rules { options.rules = try ReplayRules(contentsOfFile: rules) }
        let factory = CommandRegistry.current.app(named: app)!
        let last = paths[paths.count - 1]
        if let next = TraceSegments.continuations(of: last).first {
            FileHandle.standardError.write(Data("""
                protoo replay: note: \(next) continues this recording; a request at the end of \(last) is \
                answered there. Give all the files in order to replay across them.

                """.utf8))
        }
        let bar = ProgressBar(label: "replay")
        let report: ReplayReport
        do {
            report = try Replayer(path: paths[0], continuations: Array(paths.dropFirst()), options: options, app: factory)
                .run(progress: bar.update)
        } catch {
            bar.finish()
            throw error
        }
        bar.finish()
        if let truncation = report.truncation {
            FileHandle.standardError.write(Data("protoo replay: \(truncation)\n".utf8))
        }
        for damage in report.metadataDamage { FileHandle.standardError.write(Data("protoo replay: warning: \(damage)\n".utf8)) }
        print(json ? report.json.description : report.description)
        if !report.passed { throw ExitCode(1) }
    }

    private func runLive(_ target: String) throws {
        var options = LiveReplayOptions()
        options.speed = ReplaySpeed(argument: speed)!
        options.waitForServer = wait.duration
        if let rules { options.rules = try ReplayRules(contentsOfFile: rules) }
        let report: LiveReplayReport
        do {
            report = try LiveReplayer(path: paths[0], continuations: Array(paths.dropFirst()), target: target, options: options).run()
        } catch {
            FileHandle.standardError.write(Data("protoo replay: \(error)\n".utf8))
            throw ExitCode(2)
        }
        if let truncation = report.replay.truncation {
            FileHandle.standardError.write(Data("protoo replay: \(truncation)\n".utf8))
        }
        print(json ? report.json.description : report.description)
        if !report.passed { throw ExitCode(1) }
    }
}
