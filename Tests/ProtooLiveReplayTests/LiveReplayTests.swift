import Foundation
import Protoo
import ProtooApps
import ProtooClient
import ProtooLiveReplay
import ProtooReplay
import ProtooTrace
import ProtooWebSocket
import ProtooTestSupport
import Testing

/// Live replay: a recorded conformance session played over real sockets against running servers.
@Suite(.timeLimit(.minutes(2)))
struct LiveReplayTests {
    /// Records a session through most conformance behaviours: echo, reject, throw, notifyMe,
    /// requestMe (answered and refused by the client), client notifications, roomPeers, a second
    /// peer, dropMe with the reconnect, closeMe.
    static func recordConformanceSession(to path: String) async throws {
        try await withRecordingServer(to: path) { server in
            try await driveConformanceSession(port: server.port)
        }
    }

    /// The session of ``recordConformanceSession(to:)`` against the conformance app at `port`.
    static func driveConformanceSession(port: Int) async throws {
        let a = try await openClient(port, query: "peerId=alice", answers: true)
        _ = try await a.request("echo", ["nested": ["list": [1, 2.5, true, nil, "héllo"]]])
        await #expect(throws: ProtooError.self) { try await a.request("reject") }
        await #expect(throws: ProtooError.self) { try await a.request("throw") }
        _ = try await a.request("notifyMe", ["method": "hello", "data": ["x": 1]])
        _ = try await a.request("requestMe", ["method": "ask", "data": ["q": "?"]])
        await #expect(throws: ProtooError.self) { try await a.request("requestMe", ["method": "fail", "data": [:]]) }
        try await a.notify("first", ["a": 1])
        try await a.notify("second", ["b": [true]])
        _ = try await a.request("receivedNotifications")
        let b = try await openClient(port, query: "peerId=bob")
        _ = try await b.request("roomPeers")
        let events = ClientEvents(a)
        _ = try await a.request("dropMe")
        // Wait on alice's own reconnect (nothing racy is sent meanwhile), then ask the room once.
        try await events.waitForReconnect()
        _ = try await a.request("echo", ["again": true])
        _ = try await b.request("roomPeers")
        _ = try await b.request("closeMe")
        // `close()` returns once the server (or the proxy, which closes the upstream side at once)
        // answered the close frame: the close is recorded by then.
        await a.close()
        await b.close()
    }

    /// The real-socket conference sample (5 browser-like clients, 652 records) replays live against
    /// a fresh conference server under the conference rules. Its server greets each peer with a
    /// notification right behind the 101: a client that dropped bytes read with the upgrade answer
    /// would miss it (the Swift client did, before the dialer forwarded them).
    @Test func theConferenceSampleReplaysLiveUnderTheConferenceRules() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let trace = root.appendingPathComponent("traces/conference-room.ptrace.zst").path
        var options = LiveReplayOptions()
        options.rules = try ReplayRules(contentsOfFile: root.appendingPathComponent("traces/rules/conference.json").path)
        try await withServer(app: { ConferenceApp(context: $0) }) { server in
            let report = try await offPool { [options] in
                try LiveReplayer(path: trace, target: "ws://127.0.0.1:\(server.port)/", options: options).run()
            }
            #expect(report.passed, "\(report)")
            #expect(report.connectionsOpened == 5)
            #expect(report.messagesReceived > 300)
        }
    }

    @Test func aChangedServerFailsTheLiveReplayWithThePath() async throws {
        let path = temporaryPath("session.ptrace.zst")
        try await Self.recordConformanceSession(to: path)
        try await withServer(app: { ChangedRejectCodeApp(context: $0) }) { changed in
            let report = try await offPool { try LiveReplayer(path: path, target: "ws://127.0.0.1:\(changed.port)/").run() }
            #expect(!report.passed)
            let first = try #require(report.divergences.first)
            #expect(first.kind == .mismatch)
            #expect(first.method == "reject")
            #expect(first.peer == "alice")
            #expect(first.differences.map(\.path.description) == ["errorCode"])
            #expect(first.differences.first?.expected == 503)
            #expect(first.differences.first?.actual == 502)
        }
    }

    @Test func aServerThatIsGoneCouldNotRunRatherThanDiverged() async throws {
        let path = temporaryPath("session.ptrace.zst")
        try await Self.recordConformanceSession(to: path)
        let port = try await deadPort()
        var options = LiveReplayOptions()
        options.waitForServer = .milliseconds(200)
        options.settle = .milliseconds(200)
        let outcome = try await offPool { [options] () -> Result<LiveReplayReport, LiveReplayError> in
            do throws(LiveReplayError) { return .success(try LiveReplayer(path: path, target: "ws://127.0.0.1:\(port)/", options: options).run()) }
            catch { return .failure(error) }
        }
        guard case .failure(let error) = outcome, case .unreachable(let target, _) = error.kind else {
            Issue.record("an unreachable target must be 'could not run', not a report: \(outcome)")
            return
        }
        #expect(target == "ws://127.0.0.1:\(port)/")
    }

    @Test func loadFromATraceRunsCopiesWithTheirOwnPeerIDs() async throws {
        let path = temporaryPath("load.ptrace.zst")
        do {
            try await withRecordingServer(to: path) { server in
                let a = try await openClient(server.port, query: "peerId=carol", answers: true)
                for i in 0..<5 { _ = try await a.request("echo", ["i": .int(Int64(i)), "peer": "carol"]) }
                _ = try await a.request("requestMe", ["method": "ask", "data": ["from": "carol"]])
                await #expect(throws: ProtooError.self) { try await a.request("reject") }
                await a.close()
            }
        }
        try await withServer { target in
            let report = try await offPool {
                try TraceLoad(path: path, target: "ws://127.0.0.1:\(target.port)/", copies: 4, threads: 2).run()
            }
            #expect(report.copies == 4)
            #expect(report.connectionsOpened == 4)
            #expect(report.divergences.isEmpty, "\(report)")
            #expect(report.verdict == .passed)
            #expect(report.measurements.latency["echo"]?.totalCount == 4 * 6)   // the ready check and five echoes, per copy
            #expect(report.recordedErrors["reject 503"] == 4)                   // as recorded: not a failure
            #expect(report.errors.isEmpty)
            #expect(report.description.contains("echo"))
        }
    }
}
