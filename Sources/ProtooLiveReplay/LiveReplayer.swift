import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Protoo
import ProtooClient
import ProtooReplay
import ProtooTrace

/// Replays a trace against a running protoo server over real WebSockets, and compares what the
/// server sends with the recording: the same rules, id mapping and divergence report as
/// in-process replay (``Replayer``), for any server (this project's, the JavaScript
/// protoo-server, another).
///
/// ```swift
/// let report = try LiveReplayer(path: "session.ptrace.zst", target: "ws://127.0.0.1:4443/").run()
/// print(report.passed)
/// ```
///
/// Each recorded client connects with its recorded path and query (and its Origin, User-Agent
/// and Cookie headers). A client event is sent once every server event recorded before it has
/// arrived (or ``LiveReplayOptions/waitForServer`` passed) and, when paced, at its recorded
/// offset. Server requests are answered with the recorded answer and the live id; requests the
/// recorded client never answered get no answer. What may arrive in another order than recorded
/// is in docs/replay.md ("Live replay").
public final class LiveReplayer {
    public let options: LiveReplayOptions
    public let target: String
    let plan: LivePlan
    let url: WebSocketURL
    let metadataDamage: [String]

    /// Reads the trace at `path` (binary or `.jsonl`; `continuations` continue a rotated
    /// recording) and prepares its replay against `target` (`ws://host:port/` or `wss://`).
    public convenience init(path: String, continuations: [String] = [], target: String,
                            options: LiveReplayOptions = LiveReplayOptions()) throws(LiveReplayError) {
        let source: any TraceRecordSource
        do {
            source = continuations.isEmpty ? try TraceFiles.openSource(path) : try TraceSegments(path, continuedBy: continuations)
        } catch {
            throw .trace(error)
        }
        try self.init(source: source, target: target, options: options)
    }

    public init(source: any TraceRecordSource, target: String, options: LiveReplayOptions = LiveReplayOptions()) throws(LiveReplayError) {
        self.options = options
        self.target = target
        do {
            url = try WebSocketURL(target)
        } catch {
            throw .invalidTarget(target)
        }
        do {
            plan = try LivePlan(source: source, rules: options.rules)
        } catch {
            throw .trace(error)
        }
        metadataDamage = source.damages.map(\.description)
    }

    /// Runs the replay to its end (blocks the calling thread; one event-loop thread of its own).
    public func run() throws(LiveReplayError) -> LiveReplayReport {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let sessions = try Self.run([plan], options: options, url: url, group: group, measuresLoad: false)
        return LiveReplayReport(session: sessions[0], target: target, plan: plan, metadataDamage: metadataDamage)
    }

    /// Runs `plans` at once, each on one of `group`'s loops (round robin), to their ends.
    static func run(_ plans: [LivePlan], options: LiveReplayOptions, url: WebSocketURL, group: any EventLoopGroup,
                    measuresLoad: Bool) throws(LiveReplayError) -> [LiveSession] {
        let ssl: NIOSSLContext?
        if url.secure {
            do {
                ssl = try NIOSSLContext(configuration: .makeClientConfiguration())
            } catch {
                throw .tls("\(error)")
            }
        } else {
            ssl = nil
        }
        let futures = plans.map { plan in
            let loop = group.next()
            return loop.flatSubmit {
                let promise = loop.makePromise(of: LiveSessionBox.self)
                let session = LiveSession(plan: plan, options: options, server: url, loop: loop, sslContext: ssl, measuresLoad: measuresLoad)
                session.start { promise.succeed(LiveSessionBox($0)) }
                return promise.futureResult
            }
        }
        do {
            return try futures.map { try $0.wait().session }
        } catch {
            throw .failed("\(error)")
        }
    }
}

/// Carries a finished session off its loop (nothing touches it there any more).
struct LiveSessionBox: @unchecked Sendable {
    // @unchecked Sendable: handed over once the session finished; its loop no longer uses it.
    let session: LiveSession
    init(_ session: LiveSession) { self.session = session }
}

/// Why a live replay could not run (a server that diverges is a report, not an error).
public enum LiveReplayError: Error, CustomStringConvertible {
    case trace(TraceError)
    case invalidTarget(String)
    case tls(String)
    case failed(String)

    public var description: String {
        switch self {
        case .trace(let e): return "cannot read the trace: \(e)"
        case .invalidTarget(let t): return "--target must be ws://host:port/ or wss://host:port/, not '\(t)'"
        case .tls(let e): return "cannot set up TLS for the target: \(e)"
        case .failed(let e): return "the live replay failed: \(e)"
        }
    }
}
