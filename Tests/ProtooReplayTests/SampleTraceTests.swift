import Foundation
import Protoo
import ProtooApps
@testable import ProtooReplay
import ProtooTrace
import Testing

/// Every recorded trace replays against today's apps.
@Suite struct SampleTraceTests {
    @Test func everySampleTraceReplays() throws {
        let traces = sampleTraces()
        #expect(traces.count >= 2)
        for path in traces {
            // A simulated trace carries its seed, so the app regenerates the same values; a production
            // trace has none and is replayed with the conference rules (volatile values, captured ids).
            var options = ReplayOptions()
            // The conformance session is the conformance app's (a session of a few dozen records).
            if path.hasSuffix("conformance-session.ptrace.zst") {
                let report = try assertReplays(path, app: { ConformanceApp(context: $0) }, options: options)
                #expect(report.events > 30, "\(path)")
                #expect(report.divergences.isEmpty)
                continue
            }
            if try TraceReader(path: path).header.seed == nil {
                options.rules = try ReplayRules(contentsOfFile: conferenceRules)
            }
            let report = try assertReplays(path, app: { ConferenceApp(context: $0) }, options: options)
            #expect(report.events > 500, "\(path)")
            #expect(report.outputsCompared > report.events / 3, "\(path)")
            #expect(report.divergences.isEmpty)
        }
    }

    @Test func replayIsDeterministic() throws {
        var a = try Replayer(path: faults, app: { ConferenceApp(context: $0) }).run()
        var b = try Replayer(path: faults, app: { ConferenceApp(context: $0) }).run()
        a.wallSeconds = 0
        b.wallSeconds = 0
        #expect(a == b)
    }

    /// Without the recording's seed every generated value differs: the default rules are not enough…
    @Test func anotherSeedDivergesWithoutRules() throws {
        var options = ReplayOptions()
        options.seed = .fixed(5)
        let report = try Replayer(path: threeRooms, options: options, app: { ConferenceApp(context: $0) }).run()
        #expect(!report.passed)
        #expect(report.divergences.first?.method == "createWebRtcTransport")
        #expect(report.divergences.first?.differences.contains { $0.path.description == "data.iceParameters.usernameFragment" } == true)
    }

    /// …but the conference rules (volatile values ignored, ids captured and substituted into the
    /// clients' later `transportId`/`producerId`/`consumerId`) replay it, the way a production
    /// trace without a seed is replayed. Another seed also draws other media-server latencies, so
    /// a message racing a client's recorded input may come in another order: that, and only that,
    /// may be reported (as `reordered`, never as a changed value).
    @Test(arguments: [5, 99] as [UInt64])
    func anotherSeedReplaysWithConferenceRules(seed: UInt64) throws {
        for path in conferenceSampleTraces() {
            var options = ReplayOptions()
            options.seed = .fixed(seed)
            options.rules = try ReplayRules(contentsOfFile: conferenceRules)
            let report = try Replayer(path: path, options: options, app: { ConferenceApp(context: $0) }).run()
            let changed = report.divergences.filter { $0.kind != .reordered }
            #expect(changed.isEmpty, "\(path): \(changed.first.map(\.description) ?? "")")
            #expect(report.divergences.count <= 5, "\(path)")
            #expect(report.substitutionsLearned > 100, "\(path)")
        }
    }

    /// sim-faults has one server close made by the fault injector, not the app: replayed by default,
    /// reported when the app must make every close itself.
    @Test func serverClosesByTheInfrastructure() throws {
        let lenient = try assertReplays(faults, app: { ConferenceApp(context: $0) })
        #expect(lenient.replayerServerCloses == 1)
        var options = ReplayOptions()
        options.serverCloses = .expect
        let strict = try Replayer(path: faults, options: options, app: { ConferenceApp(context: $0) }).run()
        #expect(!strict.passed)
        #expect(strict.replayerServerCloses == 0)
    }

    @Test func unknownTraceIsAnError() {
        #expect(throws: ReplayError.self) {
            try Replayer(path: "/nonexistent/x.ptrace.zst", app: { EchoApp(context: $0) }).run()
        }
    }

    @Test func reportJSONIsOneObject() throws {
        var options = ReplayOptions()
        options.seed = .fixed(5)
        let report = try Replayer(path: threeRooms, options: options, app: { ConferenceApp(context: $0) }).run()
        let parsed = try JSONParser.parse(report.json.description)
        #expect(parsed["passed"] == false)
        #expect(parsed["divergences"]?[0]?["differences"]?[0]?["path"]?.stringValue == "data.iceParameters.usernameFragment")
        #expect(parsed["divergences"]?[0]?["connection"] == 1)
    }
}

/// The replayer's own scheduling stays proportional to the trace.
@Suite struct ReplaySchedulingTests {
    /// One pump is live at a time: an input queued ahead of the pending pump retires it. (Retired
    /// pumps used to re-post themselves when they fired, so pumps piled up over a replay: a
    /// 3,000 s trace ran 967,165 pumps for 7,738 inputs.)
    @Test func pumpsDoNotPileUp() throws {
        for path in [threeRooms, faults] {
            let replayer = try Replayer(path: path, app: { ConferenceApp(context: $0) })
            let report = try replayer.run()
            #expect(report.passed)
            // Each input is fed by the current pump of its instant, and each input queued ahead of
            // the pending pump retires at most one.
            #expect(replayer.inputsQueued >= report.inputs)
            #expect(replayer.pumpsRun <= 2 * replayer.inputsQueued, "\(path)")
            // (The scheduler's own count also holds the app's engine tasks, which await a media server.)
        }
    }
}

/// Recorded canonical messages wait as bytes in their connection's queue, dropped from the front
/// as they are matched.
@Suite struct RecordedBytesTests {
    @Test func popEventsReadBackExactlyAcrossCompactions() throws {
        let replayer = try Replayer(path: threeRooms, app: { ConferenceApp(context: $0) })
        let conn = ReplayConnection(id: 1, target: "/?roomId=r&peerId=p", replayer: replayer)
        func text(_ i: Int) -> String {
            #"{"notification":true,"method":"m","data":{"i":\#(i),"pad":"\#(String(repeating: "x", count: i % 97))"}}"#
        }
        var next = 0, popped = 0
        // Push and pop in uneven bursts, so the queue is compacted many times with events pending.
        for round in 0..<400 {
            for _ in 0..<(round % 7 + 1) {
                var t = text(next)
                t.withUTF8 { conn.expectCanonical($0, at: Int64(next)) }
                if next % 50 == 0 { conn.expect(.accepted, at: Int64(next)) }  // other events interleave
                next += 1
            }
            for _ in 0..<(round % 5 + 1) {
                guard let first = conn.firstUnmatched else { break }
                if case .accepted = first.output {
                    _ = conn.nextExpected()
                    continue
                }
                #expect(first.time == Int64(popped))
                #expect(first.output.text == text(popped))  // a string made from the queued bytes
                var wrong = text(popped + 1), right = text(popped)
                #expect(!wrong.withUTF8 { conn.takeExpected(ifCanonical: $0) })  // not consumed
                #expect(right.withUTF8 { conn.takeExpected(ifCanonical: $0) })
                popped += 1
            }
        }
        #expect(popped > 1000)
        #expect(conn.firstUnmatched?.output.text == text(popped) || conn.firstUnmatched?.output.text == "accepted")
    }
}

/// The history ring keeps messages given as bytes the way it keeps strings.
@Suite struct ReplayHistoryTests {
    @Test func bytesAndStringsGiveTheSameLines() {
        let texts = ["short", String(repeating: "é", count: 400), String(repeating: "😀", count: 170) + "tail",
                     String(repeating: "a", count: 159) + "😀", String(repeating: "b", count: 2000)]
        var fromStrings = ReplayHistory(capacity: 3), fromBytes = ReplayHistory(capacity: 3)
        for (i, t) in texts.enumerated() {
            fromStrings.add(Int64(i), 1, "out", t)
            var copy = t
            copy.withUTF8 { fromBytes.add(Int64(i), 1, "out", utf8: $0) }
            #expect(fromStrings.lines == fromBytes.lines)
        }
        #expect(fromBytes.lines.count == 3)
        #expect(fromBytes.lines.last?.hasSuffix(String(repeating: "b", count: 157) + "...") == true)
    }
}

/// Connection ids are whatever the recorder wrote: large ones replay like small ones.
@Suite struct ConnectionIDTests {
    @Test func largeConnectionIDsReplayTheSame() throws {
        let reader = try TraceReader(path: threeRooms)
        let shifted = temporaryPath("shifted.ptrace.zst")
        let writer = try TraceWriter(path: shifted, header: reader.header)
        while var r = try reader.next() {
            if r.connection != 0 { r.connection += 1 << 40 }
            try writer.write(r)
        }
        try writer.close()
        var original = try Replayer(path: threeRooms, app: { ConferenceApp(context: $0) }).run()
        var large = try Replayer(path: shifted, app: { ConferenceApp(context: $0) }).run()
        #expect(large.passed)
        #expect(large.events == original.events && large.outputsCompared == original.outputsCompared)
        original.wallSeconds = 0
        large.wallSeconds = 0
        #expect(original == large)
    }
}
