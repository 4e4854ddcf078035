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
    /// - Throws: ``LiveReplayError`` when it cannot run: the target does not accept a TCP
    ///   connection within ``LiveReplayOptions/connectTimeout``, or TLS cannot be set up.
    public func run(progress: LiveProgress? = nil, control: LiveRunControl? = nil) throws(LiveReplayError) -> LiveReplayReport {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let ssl = try Self.sslContext(for: url)
        try Self.probe(url, target: target, timeout: options.connectTimeout, group: group)
        let loop = group.next()
        let promise = loop.makePromise(of: LiveSessionBox.self)
        let plan = self.plan, options = self.options, url = self.url
        loop.execute {
            let session = LiveSession(plan: plan, options: options, server: url, loop: loop, sslContext: ssl, progress: progress)
            control?.register(loop: loop) { session.cut() }
            session.start { promise.succeed(LiveSessionBox($0)) }
        }
        let session: LiveSession
        do {
            session = try promise.futureResult.wait().session
        } catch {
            throw .failed("\(error)")
        }
        return LiveReplayReport(session: session, target: target, plan: plan, metadataDamage: metadataDamage, options: options)
    }

    /// The TLS context a `wss://` target needs (`nil` for `ws://`).
    static func sslContext(for url: WebSocketURL) throws(LiveReplayError) -> NIOSSLContext? {
        guard url.secure else { return nil }
        do {
            return try NIOSSLContext(configuration: .makeClientConfiguration())
        } catch {
            throw .tls("\(error)")
        }
    }

    /// One TCP connection to the target, closed at once: a target that is not there is "could
    /// not run", not a replay where every connection diverged.
    static func probe(_ url: WebSocketURL, target: String, timeout: Duration, group: any EventLoopGroup) throws(LiveReplayError) {
        do {
            let channel = try ClientBootstrap(group: group)
                .connectTimeout(.nanoseconds(timeout.nanoseconds))
                .connect(host: url.host, port: url.port).wait()
            try? channel.close().wait()
        } catch {
            throw .unreachable(target: target, reason: "\(error)")
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
public struct LiveReplayError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, with its details (the library's own code switches on it).
    package enum Kind: Sendable, Hashable {
        case trace(TraceError)
        case invalidTarget(String)
        case unreachable(target: String, reason: String)
        /// The load does not fit this machine (file descriptors or memory).
        case capacity(String)
        case tls(String)
        case failed(String)
    }

    /// Which error this is: compare with `==` (new codes may be added in a minor release, so
    /// never switch on it exhaustively).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }
        public static let trace = Code("trace")
        public static let invalidTarget = Code("invalidTarget")
        public static let unreachable = Code("unreachable")
        public static let capacity = Code("capacity")
        public static let tls = Code("tls")
        public static let failed = Code("failed")
    }

    package let kind: Kind
    package init(_ kind: Kind) { self.kind = kind }

    /// Which error this is (see ``Code``).
    public var errorCode: Code {
        switch kind {
        case .trace: return .trace
        case .invalidTarget: return .invalidTarget
        case .unreachable: return .unreachable
        case .capacity: return .capacity
        case .tls: return .tls
        case .failed: return .failed
        }
    }

    public static func trace(_ value0: TraceError) -> LiveReplayError { LiveReplayError(.trace(value0)) }
    public static func invalidTarget(_ value0: String) -> LiveReplayError { LiveReplayError(.invalidTarget(value0)) }
    public static func unreachable(target: String, reason: String) -> LiveReplayError { LiveReplayError(.unreachable(target: target, reason: reason)) }
    /// The load does not fit this machine (file descriptors or memory).
    public static func capacity(_ value0: String) -> LiveReplayError { LiveReplayError(.capacity(value0)) }
    public static func tls(_ value0: String) -> LiveReplayError { LiveReplayError(.tls(value0)) }
    public static func failed(_ value0: String) -> LiveReplayError { LiveReplayError(.failed(value0)) }

    public var description: String {
        switch kind {
        case .trace(let e): return "cannot read the trace: \(e)"
        case .invalidTarget(let t): return "--target must be ws://host:port/ or wss://host:port/, not '\(t)'"
        case .unreachable(let target, let reason):
            return "the target \(target) is unreachable (\(reason)): start the server, or check the host and port"
        case .capacity(let problem): return problem
        case .tls(let e): return "cannot set up TLS for the target: \(e)"
        case .failed(let e): return "the live replay failed: \(e)"
        }
    }
}
