import Foundation
import Protoo
import ProtooClient
import ProtooTestSupport
import ProtooWebSocket
import Testing

/// Deploying without dropping calls: the health check, `drain()`, `protoo serve`'s SIGTERM, and
/// the metrics it serves.
@Suite(.timeLimit(.minutes(3)))
struct LifecycleTests {
    private func get(_ path: String, port: Int) async throws -> RawTCP.Exchange {
        try await RawTCP.exchange(port: port, request: "GET \(path) HTTP/1.0\r\nHost: x\r\n\r\n", timeout: .seconds(20))
    }

    @Test func drainClosesPeersWith1012FailsTheHealthCheckAndLetsHandlersFinish() async throws {
        let counter = AsyncHandlerOverWebSocketTests.Counter(), gate = Latch()
        defer { gate.open() }
        let tap = RecordingTap()
        try await withServer(app: { AsyncApp(context: $0, cancelled: counter, gate: gate) }, configure: {
            $0.trafficTap = tap
            $0.drainTimeout = .seconds(30)
        }) { server in
            #expect(try await get("/health", port: server.port).statusLine == "HTTP/1.1 200 OK")
            let connected = try await Harness.openClient(server, peerID: "bob", reconnect: nil)
            let held = Task { try? await connected.client.request("gate") }
            try await waitUntil("the held request reached the app") { tap.entries.contains { $0.hasPrefix("in 1 ") && $0.contains("gate") } }
            let drain = Task { await server.drain() }
            try await waitUntil("bob closed with 1012") { tap.entries.contains { $0.hasPrefix("closed 1 1012") } }
            // Still settling the held handler: the balancer's health check fails, upgrades are refused.
            #expect(try await get("/health", port: server.port).statusLine == "HTTP/1.1 503 Service Unavailable")
            let refused = try await RawTCP.exchange(port: server.port, request: RawTCP.upgradeRequest(port: server.port, target: "/?peerId=eve"),
                                                    timeout: .seconds(20))
            #expect(refused.statusLine.hasPrefix("HTTP/1.1 503"))
            gate.open()
            await drain.value
            _ = await held.value
            #expect(tap.entries.contains { $0.hasPrefix("out 1 ") && $0.contains("released") } == false,
                    "the peer was closed first: the handler's answer has nowhere to go")
        }
    }

    @Test func theHealthPathIsConfigurable() async throws {
        let (ready, health) = try await withServer(configure: { $0.healthCheckPath = "/ready" }) { server in
            (try await get("/ready", port: server.port), try await get("/health", port: server.port))
        }
        #expect(ready.statusLine == "HTTP/1.1 200 OK")
        #expect(health.statusLine.hasPrefix("HTTP/1.1 426"))
        let none = try await withServer(configure: { $0.healthCheckPath = nil }) { server in
            try await get("/health", port: server.port)
        }
        #expect(none.statusLine.hasPrefix("HTTP/1.1 426"))
    }

    /// The ready line comes once SIGTERM is trapped: a supervisor that signals at once gets a
    /// drain (exit 0), never a default kill or a lost signal (a server left running).
    @Test func aSIGTERMRightAfterTheReadyLineDrains() async throws {
        for app in ["conformance", "echo", "conference"] {
            let serve = try await ProtooChild(["serve", "--app", app, "--port", "0"])
            #expect(serve.stop() == 0, "\(serve.log)")
        }
    }

    @Test func serveServesMetricsAndDrainsOnSIGTERM() async throws {
        let serve = try await ProtooChild(["serve", "--app", "conformance", "--port", "0", "--metrics", "127.0.0.1:0"])
        let line = try #require(serve.log.split(separator: "\n").first { $0.contains("metrics on http://127.0.0.1:") })
        let metricsPort = try #require(Int(line.split(separator: ":").last?.split(separator: "/").first ?? ""))
        let connected = try await Harness.openClient(port: serve.port, peerID: "ann", reconnect: nil)
        for i in 0..<3 { _ = try await connected.client.request("echo", ["i": .int(Int64(i))]) }
        let refused = try await RawTCP.exchange(port: serve.port, request: RawTCP.upgradeRequest(port: serve.port, target: "/?peerId=x", subprotocol: nil),
                                                timeout: .seconds(20))
        #expect(refused.statusLine.hasPrefix("HTTP/1.1 403"))
        let scrape = try await get("/metrics", port: metricsPort)
        #expect(scrape.statusLine == "HTTP/1.1 200 OK")
        for series in [#"protoo_requests_total{method="echo",outcome="ok"} 3"#, "protoo_connections 1", "protoo_peers 1",
                       #"protoo_connection_refusals_total{status="403"} 1"#, #"protoo_request_duration_seconds_count{method="echo"} 3"#,
                       #"protoo_bytes_total{direction="in"}"#] {
            #expect(scrape.response.contains(series), "\(series) not in:\n\(scrape.response)")
        }
        // Debian's `promtool` (package prometheus, installed by .ci/run) lints the exposition.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool") {
            let body = String(scrape.response.split(separator: "\r\n\r\n", maxSplits: 1).last ?? "")
            let check = Process()
            check.executableURL = URL(fileURLWithPath: "/usr/bin/promtool")
            check.arguments = ["check", "metrics"]
            let input = Pipe(), output = Pipe()
            check.standardInput = input
            check.standardOutput = output
            check.standardError = output
            try check.run()
            input.fileHandleForWriting.write(Data(body.utf8))
            try input.fileHandleForWriting.close()
            let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            check.waitUntilExit()
            #expect(check.terminationStatus == 0, "promtool check metrics: \(said)")
        } else {
            print("LifecycleTests: promtool not installed (Debian package prometheus): the exposition was not linted")
        }
        #expect(serve.stop() == 0)
        #expect(serve.log.contains("drained"), "\(serve.log)")
        await connected.client.close()
    }
}
