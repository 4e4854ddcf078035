import Foundation
import Protoo
import ProtooApps
import ProtooReplay
import ProtooTestSupport
import ProtooTrace
import Testing

/// `TraceMinimizer`: the smallest trace whose replay still diverges the same way.
@Suite struct TraceMinimizeTests {
    /// The conference app with `peers` in `join`'s response renamed to `peerList`.
    private let renamed: ProtooAppFactory = { RewritingApp(ConferenceApp(context: $0)) { Replace(#""peers":["#, #""peerList":["#) } }

    @Test func aRenamedResponseFieldShrinksToAFewRecordsThatDivergeTheSameWay() throws {
        let minimizer = TraceMinimizer(budget: .seconds(120), app: renamed)
        let result = try #require(try minimizer.minimize(path: threeRooms))
        let signature = TraceMinimizer.Signature(result.originalDivergence)
        #expect(signature.kind == .mismatch && signature.method == "join")
        #expect(TraceMinimizer.Signature(result.divergence) == signature)
        #expect(result.connections <= 3, "\(result.connections) connections")
        #expect(result.records.count <= 20, "\(result.records.count) records")
        #expect(result.records.count * 10 < result.originalRecords)

        // An ordinary trace: it diverges the same way against the renamed app, and replays clean
        // against the real one; the input is untouched.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("minimize-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let small = directory.appendingPathComponent("small.ptrace.zst").path
        try result.write(to: small)
        let again = try Replayer(path: small, app: renamed).run()
        #expect(again.divergences.count == 1)
        #expect(again.divergences.first.map(TraceMinimizer.Signature.init) == signature)
        let fixed = try Replayer(path: small, app: { ConferenceApp(context: $0) }).run()
        #expect(fixed.passed, "\(fixed.divergences.map(\.description))")
        #expect(fixed.outputsCompared > 0)
    }

    @Test func aReplayThatDoesNotDivergeHasNothingToMinimise() throws {
        #expect(try TraceMinimizer(budget: .seconds(60), app: { ConferenceApp(context: $0) }).minimize(path: threeRooms) == nil)
    }

    @Test func aClientRequestGoesWithItsRecordedResponse() throws {
        func at(_ t: Int64, _ c: ConnectionID, _ e: TraceEvent) -> TraceRecord { TraceRecord(time: t, connection: c, event: e) }
        let records = [
            at(0, 1, .connectionRequested(target: "/?roomId=r&peerId=a", headers: [], remoteAddress: "x")),
            at(1, 1, .accepted),
            at(2, 1, .messageIn(#"{"request":true,"id":7,"method":"join","data":{}}"#)),
            at(3, 1, .messageIn(#"{"notification":true,"method":"hi","data":{}}"#)),
            at(4, 1, .messageOut(#"{"response":true,"id":7,"ok":true,"data":{}}"#)),
            at(5, 1, .messageOut(#"{"request":true,"id":9,"method":"ask","data":{}}"#)),
            at(6, 1, .messageIn(#"{"response":true,"id":9,"ok":true,"data":{}}"#)),
        ]
        #expect(TraceMinimizer.clientMessageUnits(records) == [[2, 4], [3], [6]])
    }
}
