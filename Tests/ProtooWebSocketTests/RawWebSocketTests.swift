import Foundation
import ProtooWebSocket
import ProtooTestSupport
import Testing

/// Runs `raw_client.py` (Python `websockets`) against an in-process conformance server: handshake
/// refusals, invalid and binary frames, oversize frames/messages (1009), and a client that never
/// reads (dropped at the outbound limit).
@Suite(.timeLimit(.minutes(2)))
struct RawWebSocketTests {
    @Test func rawClientChecksPass() async throws {
        var limits = WebSocketLimits()
        limits.outboundBufferLimit = 1024 * 1024
        try await withServer(configure: { $0.limits = limits }) { server in
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("raw_client.py").path
            let probe = try await Self.run(["python3", "-c", "import websockets"], timeout: .seconds(30))
            guard probe.status == 0 else {
                Issue.record("""
                    python3 with the `websockets` package is required for this test (pip install websockets).
                    python3 -c 'import websockets' exited \(probe.status):
                    \(probe.output)
                    """)
                return
            }
            let result = try await Self.run(["python3", script, "\(server.port)", "\(limits.outboundBufferLimit)"], timeout: .seconds(90))
            #expect(result.status == 0, "raw_client.py failed (exit \(result.status)):\n\(result.output)")
        }
    }

    /// Runs a command through `/usr/bin/env`, returns its exit status and combined output.
    ///
    /// The output goes to a temporary file, read after the exit: a pipe's `readabilityHandler`
    /// runs on a libdispatch read source, and cancelling one on Linux can crash libdispatch's
    /// event loop (swiftlang/swift-subprocess#47), which took a whole test run down once here.
    static func run(_ arguments: [String], timeout: Duration) async throws -> (status: Int32, output: String) {
        let outputURL = FileManager.default.temporaryDirectory.appendingPathComponent("raw-client-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outputURL) }
        let sink = try FileHandle(forWritingTo: outputURL)
        defer { try? sink.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = sink
        process.standardError = sink
        try process.run()
        let timedOut = try await !eventually(timeout: timeout) { !process.isRunning }
        if timedOut { process.terminate() }
        process.waitUntilExit()
        let output = String(decoding: (try? Data(contentsOf: outputURL)) ?? Data(), as: UTF8.self)
        if timedOut { return (-1, "timed out after \(timeout)\n" + output) }
        return (process.terminationStatus, output)
    }
}
