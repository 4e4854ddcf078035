import NIOCore
import NIOPosix
import NIOSSL
import Protoo
import ProtooClient
import ProtooReplay
import ProtooTrace
import ProtooVerdict

/// Load from a recording: `copies` copies of the recorded sessions replayed at once against a
/// live server, each with its own peer and room ids (`<id>-<copy>`, rewritten in URLs and
/// messages both ways), answering the server's requests as recorded and comparing what the
/// server sends with the recording under ``LiveReplayOptions/rules``.
///
/// With ``duration``, each copy plays the recording again and again (pass 2 has ids
/// `<id>-<copy>-2`, …) until the time is over; a pass still running then is cut: compared up to
/// where it got, and what it had not reached yet is not a divergence. ``rampUp`` spreads the
/// copies' starts evenly over its length.
public struct TraceLoad: Sendable {
    public var copies: Int
    public var threads: Int
    public var options: LiveReplayOptions
    /// Loop the recorded sessions for this long; `nil`: one pass per copy.
    public var duration: Duration?
    /// Copy `i` (of `n`) starts `rampUp × (i − 1) / n` after the first.
    public var rampUp: Duration = .zero
    /// The number of the first copy (default 1): a partition of a bigger load (`--partition`) runs
    /// copies `firstCopy ..< firstCopy + copies` of ``totalCopies``, so their ids and start times
    /// are those the whole load gives them.
    public var firstCopy = 1
    /// Copies of the whole load the ramp-up spreads (default: ``copies``).
    public var totalCopies: Int?
    let plan: LivePlan
    let url: WebSocketURL
    let target: String

    public init(path: String, continuations: [String] = [], target: String, copies: Int, threads: Int = 1,
                options: LiveReplayOptions = LiveReplayOptions()) throws(LiveReplayError) {
        let replayer = try LiveReplayer(path: path, continuations: continuations, target: target, options: options)
        plan = replayer.plan
        url = replayer.url
        self.target = target
        self.copies = max(1, copies)
        self.threads = max(1, threads)
        self.options = options
    }

    /// `nil` when this machine can hold ``copies`` copies at once (file descriptors: the most
    /// connections the recording had open at once, per copy; memory: about twice its messages and
    /// 64 KiB per connection); else what does not fit and how many copies would.
    public var capacityProblem: String? {
        ClientCapacity.problem(units: copies, unitName: "copy", flag: "--copies", descriptorsEach: plan.peakConnections,
                               bytesEach: plan.messageBytes * 2 + plan.peakConnections * 64 * 1024)
    }

    /// Recorded connections per copy.
    public var connectionsPerCopy: Int { plan.connections.count - plan.proxyRefusals.count }

    /// When copy `copy` (1-based) of `copies` starts after the first: `rampUp × (copy − 1) / copies`.
    public static func startOffset(copy: Int, copies: Int, rampUp: Duration) -> Duration {
        guard copies > 1 else { return .zero }
        return .nanoseconds(rampUp.nanoseconds / Int64(copies) * Int64(copy - 1))
    }

    /// Runs every copy to its end, or to the end of ``duration`` (blocks the calling thread).
    /// - Throws: ``LiveReplayError`` when the target is unreachable or TLS cannot be set up.
    public func run(progress: LiveProgress? = nil, control: LiveRunControl? = nil) throws(LiveReplayError) -> TraceLoadReport {
        if let capacityProblem { throw .capacity(capacityProblem) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        defer { try? group.syncShutdownGracefully() }
        let ssl = try LiveReplayer.sslContext(for: url)
        try LiveReplayer.probe(url, target: target, timeout: options.connectTimeout, group: group)
        let start = NIODeadline.now()
        let deadline = duration.map { start + .nanoseconds($0.nanoseconds) }
        var futures: [EventLoopFuture<CopyRunner.Result>] = []
        for copy in firstCopy..<(firstCopy + copies) {
            let loop = group.next()
            let offset = TimeAmount.nanoseconds(Self.startOffset(copy: copy, copies: totalCopies ?? copies, rampUp: rampUp).nanoseconds)
            let plan = self.plan, options = self.options, url = self.url, looping = duration != nil
            futures.append(loop.flatSubmit {
                CopyRunner(copy: copy, plan: plan, options: options, url: url, ssl: ssl, loop: loop, looping: looping,
                           progress: progress).start(after: offset, deadline: deadline, control: control)
            })
        }
        var results: [CopyRunner.Result] = []
        for future in futures {
            do {
                results.append(try future.wait())
            } catch {
                throw .failed("\(error)")
            }
        }
        let wall = Double(NIODeadline.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        return TraceLoadReport(results: results, load: self, wallSeconds: wall, interrupted: control?.isStopped ?? false)
    }
}

/// One copy's passes over the recording, on one event loop.
final class CopyRunner {
    struct Result: @unchecked Sendable {
        // @unchecked Sendable: handed over once every session finished; their loop no longer uses them.
        var copy: Int
        var sessions: [(pass: Int, session: LiveSession)]
    }

    let copy: Int
    let plan: LivePlan
    let options: LiveReplayOptions
    let url: WebSocketURL
    let ssl: NIOSSLContext?
    let loop: any EventLoop
    let looping: Bool
    let progress: LiveProgress?
    private var deadline: NIODeadline?
    private var result: Result
    private var current: LiveSession?
    private var pass = 0
    private var stopped = false
    private var finished = false
    private let promise: EventLoopPromise<Result>

    init(copy: Int, plan: LivePlan, options: LiveReplayOptions, url: WebSocketURL, ssl: NIOSSLContext?, loop: any EventLoop,
         looping: Bool, progress: LiveProgress?) {
        self.copy = copy
        self.plan = plan
        self.options = options
        self.url = url
        self.ssl = ssl
        self.loop = loop
        self.looping = looping
        self.progress = progress
        result = Result(copy: copy, sessions: [])
        promise = loop.makePromise(of: Result.self)
    }

    func start(after offset: TimeAmount, deadline: NIODeadline?, control: LiveRunControl?) -> EventLoopFuture<Result> {
        self.deadline = deadline
        control?.register(loop: loop) { [self] in stop() }
        if let deadline { loop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in stop() } }
        loop.assumeIsolated().scheduleTask(in: offset) { [self] in nextPass() }
        return promise.futureResult
    }

    private func nextPass() {
        guard !stopped, !finished else { return finish() }
        if let deadline, NIODeadline.now() >= deadline { return finish() }
        pass += 1
        let session = LiveSession(plan: plan.copy(copy, pass: pass), options: options, server: url, loop: loop, sslContext: ssl,
                                  progress: progress)
        current = session
        let thisPass = pass
        session.start { [self] s in
            result.sessions.append((thisPass, s))
            current = nil
            // Another pass only while the time runs, and only if this one did something.
            guard looping, s.inputs > 0 else { return finish() }
            loop.assumeIsolated().execute { self.nextPass() }
        }
    }

    private func stop() {
        stopped = true
        if let current { current.cut() } else { finish() }
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        promise.succeed(result)
    }
}
