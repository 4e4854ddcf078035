import Foundation
import ProtooWebSocket
import Testing

/// Runs `raw_client.py` (Python `websockets`) against an in-process conformance server: handshake
/// refusals, invalid and binary frames, oversize frames/messages (1009), and a client that never
/// reads (dropped at the outbound limit).
@Suite(.timeLimit(.minutes(2)))
struct RawWebSocketTests {
    @Test func rawClientChecksPass() async throws {
        var limits = WebSocketLimits()
        limits.outboundBufferLimit = 1024 * 1024
        let server = try await Harness.startServer(limits: limits)

        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("raw_client.py").path
        let probe = try await Self.run(["python3", "-c", "import websockets"], timeout: .seconds(30))
        guard probe.status == 0 else {
            Issue.record("""
                python3 with the `websockets` package is required for this test (pip install websockets).
                python3 -c 'import websockets' exited \(probe.status):
                \(probe.output)
                """)
            await server.shutdown()
            return
        }
        let result = try await Self.run(["python3", script, "\(server.port)", "\(limits.outboundBufferLimit)"], timeout: .seconds(90))
        #expect(result.status == 0, "raw_client.py failed (exit \(result.status)):\n\(result.output)")
        await server.shutdown()
    }

    /// Runs a command through `/usr/bin/env`, returns its exit status and combined output.
    static func run(_ arguments: [String], timeout: Duration) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let output = OutputCollector()
        pipe.fileHandleForReading.readabilityHandler = { handle in output.append(handle.availableData) }
        try process.run()
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while process.isRunning {
            if clock.now > deadline {
                process.terminate()
                process.waitUntilExit()
                pipe.fileHandleForReading.readabilityHandler = nil
                return (-1, "timed out after \(timeout)\n" + output.text)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        process.waitUntilExit()
        pipe.fileHandleForReading.readabilityHandler = nil
        output.append(pipe.fileHandleForReading.readDataToEndOfFile())
        return (process.terminationStatus, output.text)
    }
}

/// The child's output, appended from the pipe's reading thread.
final class OutputCollector: @unchecked Sendable { // guarded by `lock`
    private let lock = NSLock()
    private var data = Data()
    func append(_ chunk: Data) { lock.withLock { data.append(chunk) } }
    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
}
