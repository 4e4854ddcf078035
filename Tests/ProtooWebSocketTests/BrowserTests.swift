import Foundation
import Protoo
import ProtooTestSupport
import ProtooWebSocket
import Synchronization
import Testing

/// A real browser (headless Chromium, Debian's `chromium`, which `.ci/run` installs) speaking
/// protoo from a page (Tests/Browser/protoo-page.html) against `protoo serve` and through
/// `protoo proxy`: echo with non-ASCII text, messages at and past the frame limits (a browser
/// sends each message as one frame), a server request answered, close codes.
@Suite(.enabled(if: Chromium.path != nil, "Chromium is not installed (apt-get install chromium): the real-browser checks are skipped"),
       .serialized, .timeLimit(.minutes(3)))
struct BrowserTests {
    static let page = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Browser/protoo-page.html")

    /// Collects the page's report (a `report` notification).
    final class ReportApp: ProtooApp {
        static let report = Mutex<JSONValue?>(nil)
        let context: EngineContext
        var peers: [Peer] = []
        init(context: EngineContext) { self.context = context }
        func handleConnection(_ request: ConnectionRequest) {
            let peer = Peer(id: "report", transport: request.accept(), context: context)
            peers.append(peer)
            peer.onNotification { method, data in
                if method == "report" { Self.report.withLock { $0 = data } }
            }
        }
    }

    /// Opens the page in headless Chromium against `target`; returns the page's checks.
    static func runPage(target: String, fits: Int, tooBig: Int) async throws -> [(name: String, ok: Bool, detail: String)] {
        ReportApp.report.withLock { $0 = nil }
        return try await withServer(app: { ReportApp(context: $0) }) { collector in
            var components = URLComponents(url: page, resolvingAgainstBaseURL: false)!
            components.queryItems = [URLQueryItem(name: "target", value: target), URLQueryItem(name: "report", value: "ws://127.0.0.1:\(collector.port)/"),
                                     URLQueryItem(name: "fits", value: String(fits)), URLQueryItem(name: "tooBig", value: String(tooBig))]
            let profile = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UUID().uuidString)")
            let browser = Process()
            browser.executableURL = URL(fileURLWithPath: Chromium.path!)
            browser.arguments = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                                 "--user-data-dir=\(profile.path)", components.url!.absoluteString]
            browser.standardOutput = FileHandle.nullDevice
            browser.standardError = FileHandle.nullDevice
            try browser.run()
            defer {
                browser.terminate()
                browser.waitUntilExit()
                try? FileManager.default.removeItem(at: profile)
            }
            try await waitUntil("the page's report", timeout: .seconds(60)) { ReportApp.report.withLock { $0 } != nil }
            let results = ReportApp.report.withLock { $0 }?["results"]?.arrayValue ?? []
            return results.map { ($0["name"]?.stringValue ?? "?", $0["ok"] == true, $0["detail"]?.stringValue ?? "") }
        }
    }

    static func expectAllPass(_ results: [(name: String, ok: Bool, detail: String)], count: Int, _ what: String) {
        #expect(results.count == count, "\(what): \(results)")
        for r in results { #expect(r.ok, "\(what): \(r.name) — \(r.detail)") }
    }

    @Test func aBrowserAgainstServeWithItsDefaultLimits() async throws {
        let serve = try await ProtooChild(["serve", "--app", "conformance", "--host", "127.0.0.1", "--port", "0"])
        Self.expectAllPass(try await Self.runPage(target: serve.url, fits: 60_000, tooBig: 100_000), count: 7, "serve, WebSocket-Node's limits")
        serve.stop()
    }

    @Test func aBrowserAgainstServeWithMediasoupDemoLimitsAndThroughTheProxy() async throws {
        let serve = try await ProtooChild(["serve", "--app", "conformance", "--host", "127.0.0.1", "--port", "0",
                                           "--max-frame-bytes", "960000", "--max-message-bytes", "960000"])
        Self.expectAllPass(try await Self.runPage(target: serve.url, fits: 300_000, tooBig: 960_100), count: 7, "serve, 960,000-byte limits")
        let proxy = try await ProtooChild(["proxy", "--listen", "127.0.0.1:0", "--upstream", serve.url])
        Self.expectAllPass(try await Self.runPage(target: proxy.url, fits: 300_000, tooBig: 960_100), count: 7, "through the proxy")
        proxy.stop()
        serve.stop()
    }
}

enum Chromium {
    static let path: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }
}
