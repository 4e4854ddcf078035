import Foundation
import Protoo
import ProtooTestSupport
import Testing

/// The proof against the real JavaScript protoo-server 4.0.8 (opt-in: `PROTOO_JS_MODULES` names a
/// node_modules folder with protoo-server and protoo-client 4.0.8 and their dependencies, as
/// `npm install protoo-server@4.0.8 protoo-client@4.0.8` makes it). Real protoo-client traffic (Tests/Interop/protoo-client-session.js: every
/// behaviour of the conformance app, many peers, reconnects, closes) is recorded through
/// `protoo proxy` in front of the JS twin of the conformance app (Tests/Interop/
/// js-conformance-server.js), then replayed live 20 times at each speed against the JS server and
/// against ours, and loaded with `load --trace --copies 50 --duration 20s` and thresholds.
@Suite(.enabled(if: JSProtoo.modules != nil,
                "set PROTOO_JS_MODULES to a node_modules folder with protoo-server and protoo-client 4.0.8 (npm install protoo-server@4.0.8 protoo-client@4.0.8)"),
       .serialized, .timeLimit(.minutes(10)))
struct JSProtooServerTests {
    static let interop = JSProtoo.interop

    /// Records one session through the proxy in front of a fresh JS server; returns the trace.
    static func record() async throws -> String {
        let path = temporaryPath("js-session.ptrace.zst")
        let js = try await JSProtoo.server()
        let proxy = try await ProtooChild(["proxy", "--listen", "127.0.0.1:0", "--upstream", js.url, "--record", path])
        let session = try await JSProtoo.node(["protoo-client-session.js", proxy.url])
        #expect(session.status == 0, "the protoo-client session failed:\n\(session.output)")
        proxy.stop()
        js.stop()
        return path
    }

    @Test func recordedProtooClientTrafficReplaysWithoutFalseDivergences() async throws {
        let path = try await Self.record()
        let js = try await JSProtoo.server()
        let ours = try await ProtooChild(["serve", "--app", "conformance", "--host", "127.0.0.1", "--port", "0"])
        var summary: [String] = []
        for (name, url) in [("JS protoo-server", js.url), ("protoo serve", ours.url)] {
            for speed in ["max", "1x"] {
                var failed: [String] = []
                for _ in 0..<20 {
                    let run = try await ProtooTool.runAsync(["replay", path, "--target", url, "--speed", speed, "--json"])
                    guard run.status != 0 else { continue }
                    let report = try? JSONParser.parse(run.outputText)
                    let first = report?["divergences"]?.arrayValue?.first
                    failed.append("exit \(run.status): \(first.map { "\($0)" } ?? run.error)")
                }
                #expect(failed.isEmpty, "against \(name) at \(speed): \(failed.count) of 20 failed; first: \(failed.first ?? "")")
                summary.append("\(name) --speed \(speed): \(20 - failed.count)/20 clean")
            }
        }
        print("JS interop, live replays: " + summary.joined(separator: "; "))
        ours.stop()
        js.stop()
    }

    @Test func traceLoadWithThresholdsPassesAgainstBothServers() async throws {
        let path = try await Self.record()
        let js = try await JSProtoo.server()
        let ours = try await ProtooChild(["serve", "--app", "conformance", "--host", "127.0.0.1", "--port", "0"])
        for (name, url) in [("JS protoo-server", js.url), ("protoo serve", ours.url)] {
            let junit = temporaryPath("load.xml")
            let run = try await ProtooTool.runAsync(["load", url, "--trace", path, "--copies", "50", "--duration", "20s", "--ramp-up", "2s",
                                                     "--threshold", "divergences==0", "--threshold", "errors==0", "--threshold", "p99<1s",
                                                     "--junit", junit, "--json"])
            #expect(run.status == 0, "against \(name): \(run.outputText.prefix(4000))\n\(run.error)")
            let report = try JSONParser.parse(run.outputText)
            #expect(report["divergenceCount"] == 0)
            #expect((report["passes"]?.intValue ?? 0) > 50)
            let shape = JUnitShape(try String(contentsOfFile: junit, encoding: .utf8))
            #expect(shape.testCases == 4 && shape.failures == 0)
            let methods = (report["methods"]?.arrayValue ?? []).map { m in
                "\(m["method"]?.stringValue ?? "?") \(m["count"]?.intValue ?? 0) p50 \(Self.ms(m["p50"])) p99 \(Self.ms(m["p99"]))"
            }
            print("JS interop, load against \(name): exit \(run.status), requests \(report["requests"]?.intValue ?? 0), passes \(report["passes"]?.intValue ?? 0); "
                  + methods.joined(separator: ", "))
        }
        ours.stop()
        js.stop()
    }

    static func ms(_ v: JSONValue?) -> String { String(format: "%.2fms", (v?.doubleValue ?? 0) / 1000) }
}

