import Foundation
import Protoo
import ProtooApps
import ProtooReplay
import ProtooTrace
import ProtooTestSupport
import Testing

/// A changed app fails the replay with a precise report: where (connection, time), what (paths).
@Suite struct RegressionDetectionTests {
    func replay(_ path: String = threeRooms, _ makeRewriter: @escaping () -> Rewriter) throws -> ReplayReport {
        try Replayer(path: path, app: { RewritingApp(ConferenceApp(context: $0), makeRewriter) }).run()
    }

    /// The first divergence, which must exist.
    func first(_ report: ReplayReport) throws -> ReplayDivergence {
        try #require(!report.passed)
        return try #require(report.divergences.first)
    }

    @Test func unchangedAppThroughTheWrapperPasses() throws {
        #expect(try replay { Rewriter() }.passed)
    }

    @Test func renamedNotification() throws {
        let d = try first(try replay { Replace(#""method":"newPeer""#, #""method":"peerJoined""#) })
        let recorded = try #require(try firstRecord(in: threeRooms) { isOut($0, containing: #""method":"newPeer""#) })
        #expect(d.kind == .mismatch)
        #expect(d.connection == recorded.connection)
        #expect(d.time == Instant(nanoseconds: recorded.time))
        #expect(d.method == "newPeer")
        #expect(d.differences == [ReplayDifference(path: JSONPath([.key("method")]), expected: "newPeer", actual: "peerJoined")])
    }

    @Test func missingField() throws {
        let d = try first(try replay { DropField(method: "newPeer", key: "displayName") })
        let recorded = try #require(try firstRecord(in: threeRooms) { isOut($0, containing: #""method":"newPeer""#) })
        #expect(d.connection == recorded.connection)
        #expect(d.time == Instant(nanoseconds: recorded.time))
        #expect(d.differences.count == 1)
        #expect(d.differences.first?.path.description == "data.displayName")
        #expect(d.differences.first?.actual == nil)
        #expect(d.differences.first?.expected?.stringValue?.hasPrefix("Sim ") == true)
    }

    @Test func extraMessage() throws {
        let extra = #"{"notification":true,"method":"serverHello","data":{}}"#
        let d = try first(try replay { AddAfter(#""method":"mediasoup-version""#, extra) })
        let recorded = try #require(try firstRecord(in: threeRooms) { isOut($0, containing: "mediasoup-version") })
        #expect(d.connection == recorded.connection)
        #expect(d.time == Instant(nanoseconds: recorded.time))
        #expect(d.actual == extra)
        #expect(d.differences.contains(ReplayDifference(path: JSONPath([.key("method")]), expected: nil, actual: "serverHello")))
    }

    @Test func reorderedPair() throws {
        let d = try first(try replay { SwapFirst(#""method":"newConsumer""#) })
        let recorded = try #require(try firstRecord(in: threeRooms) { isOut($0, containing: #""method":"newConsumer""#) })
        #expect(d.connection == recorded.connection)
        #expect(d.recordedTime == Instant(nanoseconds: recorded.time))
        #expect(d.method == "newConsumer")
        // The live message is the recording's next one: reported as moved, not diffed field by field.
        #expect(d.kind == .reordered)
        #expect(d.matchedTime.map { $0 >= d.time } == true)
        #expect(d.description.contains("order/timing changed"))
    }

    /// A hand-written JSON-lines trace: a request before `join` is refused with 500.
    static func earlyProduceTrace() throws -> String {
        let path = temporaryPath("early-produce.jsonl")
        let lines = [
            #"{"t":0,"conn":1,"kind":"connectionRequested","target":"/?roomId=r1&peerId=p1","remoteAddress":"10.0.0.1:4000"}"#,
            #"{"t":0,"conn":1,"kind":"accepted"}"#,
            #"{"t":0,"conn":1,"kind":"messageOut","text":"{\"notification\":true,\"method\":\"mediasoup-version\",\"data\":{\"version\":\"3.14.7\"}}"}"#,
            #"{"t":1000,"conn":1,"kind":"messageIn","text":"{\"request\":true,\"id\":1,\"method\":\"produce\",\"data\":{}}"}"#,
            #"{"t":1000,"conn":1,"kind":"messageOut","text":"{\"response\":true,\"id\":1,\"errorCode\":500,\"errorReason\":\"Peer not yet joined\"}"}"#,
            #"{"t":2000,"conn":2,"kind":"connectionRequested","target":"/?roomId=r1"}"#,
            #"{"t":2000,"conn":2,"kind":"rejected","status":400,"reason":"Connection request without roomId and/or peerId"}"#,
            #"{"t":5000,"conn":1,"kind":"closed","code":1000,"reason":"bye","initiator":"client"}"#,
        ]
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func handWrittenTracePasses() throws {
        let report = try assertReplays(try Self.earlyProduceTrace(), app: { ConferenceApp(context: $0) })
        #expect(report.outputsCompared == 5)
    }

    @Test func changedErrorCode() throws {
        let d = try first(try replay(try Self.earlyProduceTrace()) { Replace(#""errorCode":500"#, #""errorCode":503"#) })
        #expect(d.connection == 1)
        #expect(d.time == Instant(nanoseconds: 1000))
        #expect(d.method == "produce")
        #expect(d.differences == [ReplayDifference(path: JSONPath([.key("errorCode")]), expected: 500, actual: 503)])
    }

    @Test func changedRejection() throws {
        final class StricterApp: ProtooApp {
            let inner: ConferenceApp
            init(_ context: EngineContext) { inner = ConferenceApp(context: context) }
            func handleConnection(_ request: ConnectionRequest) {
                if request.queryValue("peerId") == nil { return request.reject(status: 403, reason: "go away") }
                inner.handleConnection(request)
            }
        }
        let report = try Replayer(path: try Self.earlyProduceTrace(), app: { StricterApp($0) }).run()
        let d = try first(report)
        #expect(d.connection == 2)
        #expect(d.time == Instant(nanoseconds: 2000))
        #expect(d.differences.map(\.path.description) == ["status", "reason"])
    }

    @Test func failureDescriptionSaysWhereAndWhat() throws {
        do {
            try assertReplays(threeRooms, app: { RewritingApp(ConferenceApp(context: $0)) { Replace(#""method":"newPeer""#, #""method":"peerJoined""#) } })
            Issue.record("a renamed notification must fail the replay")
        } catch let failure as ReplayFailure {
            let text = failure.description
            #expect(text.contains("method: expected \"newPeer\", got \"peerJoined\""))
            #expect(text.contains("last events:"))
            #expect(text.contains("on connection #"))
        }
    }
}

/// `--speed 1x` paces virtual time against the wall clock; the outcome does not change.
@Suite struct PacingTests {
    @Test func pacedReplayTakesRecordedTimeAndStillPasses() throws {
        let path = temporaryPath("paced.jsonl")
        let lines = [
            #"{"t":0,"conn":1,"kind":"connectionRequested","target":"/?peerId=p1"}"#,
            #"{"t":0,"conn":1,"kind":"accepted"}"#,
            #"{"t":60000000,"conn":1,"kind":"messageIn","text":"{\"request\":true,\"id\":7,\"method\":\"echo\",\"data\":{\"x\":1}}"}"#,
            #"{"t":60000000,"conn":1,"kind":"messageOut","text":"{\"response\":true,\"id\":7,\"ok\":true,\"data\":{\"x\":1}}"}"#,
        ]
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        var options = ReplayOptions()
        options.speed = .paced(factor: 1)
        let report = try assertReplays(path, app: { EchoApp(context: $0) }, options: options)
        #expect(report.wallSeconds >= 0.05)
        #expect(report.virtualDuration == .milliseconds(60))
    }
}
