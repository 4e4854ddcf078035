import ArgumentParser
import Foundation
import ProtooLiveReplay
import ProtooLoad
import ProtooReplay

/// `protoo load`: a load generator on the Swift client against any protoo server.
struct Load: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Load a protoo server: N peers, K requests in flight each (or an open arrival rate); latency percentiles.",
        discussion: """
            Each peer connects to URL with peerId=load-<i> appended to the query (unless it has a peerId), \
            keeping the rest of the query (e.g. roomId).

            Example, against `protoo serve --app conformance`:
              protoo load ws://127.0.0.1:4443/ --peers 200 --duration 10s --inflight 4

            With --trace PATH, the load is your recorded traffic: --copies N copies of the recorded \
            sessions at once, each with its own peer and room ids (<id>-<copy>), answering the \
            server's requests as recorded; latency per method, errors by method and code, and the \
            divergences from the recording counted per copy:
              protoo load ws://127.0.0.1:4443/ --trace session.ptrace.zst --copies 50 --speed 1x
            """
    )

    @Argument(help: "The server: ws://host:port/path?query (or wss://).")
    var url: String

    @Option(help: "Peers to connect.")
    var peers = 1

    @Option(help: "How long to issue requests (e.g. 10s, 500ms).")
    var duration = DurationArgument(argument: "10s")!

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

    @Option(help: "With --trace: copies of the recorded sessions replayed at once.")
    var copies = 1

    @Option(help: "With --trace: max (each client as fast as the server answers) or a pace such as 1x, 10x.")
    var speed = "1x"

    func validate() throws {
        if trace != nil {
            guard copies >= 1 else { throw ValidationError("--copies must be at least 1") }
            guard ReplaySpeed(argument: speed) != nil else { throw ValidationError("--speed must be max or a pace like 1x, 10x") }
            return
        }
        do {
            try makeConfiguration().validate()
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() async throws {
        if let trace { return try runTrace(trace) }
        let report: LoadReport
        do {
            report = try await LoadSession.run(makeConfiguration())
        } catch {
            FileHandle.standardError.write(Data("protoo load: \(error)\n".utf8))
            throw ExitCode.failure
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.table)
        }
    }

    private func runTrace(_ trace: String) throws {
        var options = LiveReplayOptions()
        options.speed = ReplaySpeed(argument: speed)!
        let report: TraceLoadReport
        do {
            report = try TraceLoad(path: trace, target: url, copies: copies, threads: threads, options: options).run()
        } catch {
            FileHandle.standardError.write(Data("protoo load: \(error)\n".utf8))
            throw ExitCode.failure
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.description)
        }
    }

    private func makeConfiguration() -> LoadConfiguration {
        LoadConfiguration(url: url, peers: peers, duration: duration.duration, inflight: inflight, method: method,
                          payloadBytes: payload, rate: rate, threads: threads)
    }
}
