import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Protoo
import ProtooApps
import ProtooLiveReplay
import ProtooReplay
import ProtooTestSupport
import ProtooTrace
import Testing

/// `protoo load --trace` as a load test: rules, looping for a duration, ramp-up, divergences
/// listed and grouped, thresholds and JUnit.
@Suite(.timeLimit(.minutes(2)))
struct TraceLoadTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Three echoes and a reject, recorded from the conformance app.
    static func recordShortSession(to path: String, rejects: Int = 1) async throws {
        try await withRecordingServer(to: path) { server in
            let a = try await openClient(server.port, query: "peerId=dave&roomId=r1")
            for i in 0..<3 { _ = try await a.request("echo", ["i": .int(Int64(i))]) }
            for _ in 0..<rejects { await #expect(throws: ProtooError.self) { try await a.request("reject") } }
            _ = try await a.request("echo", ["last": true])
            await a.close()
        }
    }

    @Test func theConferenceSampleLoadsCleanUnderItsRules() async throws {
        let trace = Self.root.appendingPathComponent("traces/conference-room.ptrace.zst").path
        let rules = Self.root.appendingPathComponent("traces/rules/conference.json").path
        let serve = try await ProtooChild(["serve", "--app", "conference", "--host", "127.0.0.1", "--port", "0"])
        let withRules = try await ProtooTool.runAsync(["load", serve.url, "--trace", trace, "--rules", rules, "--copies", "2", "--json"])
        #expect(withRules.status == 0, "\(withRules.outputText.prefix(3000))")
        let json = try JSONParser.parse(withRules.outputText)
        #expect(json["divergenceCount"] == 0)
        #expect(json["errors"] == [:])
        // Without them the volatile ids diverge: the rules are what make it pass.
        let without = try await ProtooTool.runAsync(["load", serve.url, "--trace", trace, "--copies", "2", "--json"])
        #expect(without.status == 1)
        serve.stop()
    }

    @Test func durationLoopsTheRecordingWithFreshIDsAndCutsTheLastPass() async throws {
        let path = temporaryPath("short.ptrace.zst")
        try await Self.recordShortSession(to: path)
        try await withServer { server in
            var load = try TraceLoad(path: path, target: "ws://127.0.0.1:\(server.port)/", copies: 2)
            load.duration = .milliseconds(800)
            let report = try await offPool { [load] in try load.run() }
            #expect(report.passes > 2, "\(report)")          // each copy played the recording again
            #expect(report.divergences.isEmpty, "\(report)")  // fresh ids each pass: no duplicate peerId
            #expect(report.passesCut <= 2)                    // at most the pass each copy had running
            #expect(report.verdict == .passed)
        }
    }

    @Test func rampUpSpreadsTheCopiesStarts() {
        let offsets = (1...4).map { TraceLoad.startOffset(copy: $0, copies: 4, rampUp: .seconds(2)) }
        #expect(offsets == [.zero, .milliseconds(500), .seconds(1), .milliseconds(1500)])
        #expect(TraceLoad.startOffset(copy: 1, copies: 1, rampUp: .seconds(2)) == .zero)
    }

    @Test func divergencesAreListedAndGroupedAndEveryOneIsMeasured() async throws {
        let path = temporaryPath("rejects.ptrace.zst")
        try await Self.recordShortSession(to: path, rejects: 2)
        try await withServer(app: { ChangedRejectCodeApp(context: $0) }) { changed in
            let url = "ws://127.0.0.1:\(changed.port)/"
            let run = try await ProtooTool.runAsync(["load", url, "--trace", path, "--copies", "3", "--json"])
            #expect(run.status == 1, "\(run.error)")
            let json = try JSONParser.parse(run.outputText)
            // Both rejects of each copy: the second comes after its connection diverged, and is still compared.
            #expect(json["divergenceCount"] == 6)
            let group = try #require(json["divergenceGroups"]?.arrayValue?.first)
            #expect(group["kind"] == "mismatch")
            #expect(group["method"] == "reject")
            #expect(group["path"] == "errorCode")
            #expect(group["count"] == 6)
            let copies = Set((json["divergences"]?.arrayValue ?? []).compactMap { $0["copy"]?.intValue })
            #expect(copies == [1, 2, 3])
            // The echoes after the divergence are still timed: 5 per copy (ready check, three, last).
            let echo = try #require(json["methods"]?.arrayValue?.first { $0["method"] == "echo" })
            #expect(echo["count"] == 15)
            #expect(json["errors"]?["reject 502"] == 6)
            // Text: groups, and the first few in full.
            let text = try await ProtooTool.runAsync(["load", url, "--trace", path, "--copies", "3"])
            #expect(text.outputText.contains("divergences by kind, method and path:"))
            #expect(text.outputText.contains("6       mismatch reject errorCode"), "\(text.outputText)")
            #expect(text.outputText.components(separatedBy: "divergence (mismatch)").count - 1 == TraceLoadReport.shownInFull)
            // A threshold on divergences replaces the default: 6 are tolerated here.
            #expect(try await ProtooTool.runAsync(["load", url, "--trace", path, "--copies", "3", "--threshold", "divergences<=6"]).status == 0)
        }
    }

    @Test func thresholdsFailTheRunByNameAndJUnitHasATestCaseEach() async throws {
        let path = temporaryPath("short.ptrace.zst"), junit = temporaryPath("load.xml")
        try await Self.recordShortSession(to: path)
        try await withServer { server in
            let url = "ws://127.0.0.1:\(server.port)/"
            let run = try await ProtooTool.runAsync(["load", url, "--trace", path, "--copies", "2", "--threshold", "p99<60s",
                                          "--threshold", "requests>1000000", "--threshold", "p50{method:join}<20ms", "--junit", junit])
            #expect(run.status == 1)
            #expect(run.outputText.contains("ok     p99<60s"), "\(run.outputText)")
            #expect(run.outputText.contains("FAILED requests>1000000"))
            #expect(run.outputText.contains("FAILED p50{method:join}<20ms  (nothing measured"))   // no join: nothing passes on nothing
            let xml = try String(contentsOfFile: junit, encoding: .utf8)
            let cases = JUnitShape(xml)
            #expect(cases.testCases == 4)     // three thresholds and the comparison
            #expect(cases.failures == 2)
            #expect(xml.contains(#"name="threshold requests&gt;1000000""#))
            let clean = try await ProtooTool.runAsync(["load", url, "--trace", path, "--threshold", "p99<60s", "--threshold", "errors==0"])
            #expect(clean.status == 0, "\(clean.outputText)")
        }
    }
}

/// Counts of a JUnit document (tests parse it as the CI systems do: elements and attributes).
struct JUnitShape {
    var testCases = 0
    var failures = 0
    var skipped = 0

    init(_ xml: String) {
        let parser = XMLParser(data: Data(xml.utf8))
        let delegate = Delegate()
        parser.delegate = delegate
        #expect(parser.parse(), "the JUnit report is not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "")")
        testCases = delegate.counts["testcase", default: 0]
        failures = delegate.counts["failure", default: 0]
        skipped = delegate.counts["skipped", default: 0]
    }

    final class Delegate: NSObject, XMLParserDelegate {
        var counts: [String: Int] = [:]
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            counts[name, default: 0] += 1
        }
    }
}
