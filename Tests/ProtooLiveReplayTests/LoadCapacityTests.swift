import Foundation
import Protoo
import ProtooApps
import ProtooTestSupport
import Testing

/// `load` checks what this machine can hold before it starts, and SIGINT stops any run with what
/// was measured printed.
@Suite(.timeLimit(.minutes(1)))
struct LoadCapacityTests {
    static let trace = TraceLoadTests.root.appendingPathComponent("traces/conformance-session.ptrace.zst").path

    @Test func moreCopiesOrPeersThanFitAreRefusedWithTheNumberThatFits() async throws {
        try await withServer { server in
            let url = "ws://127.0.0.1:\(server.port)/"
            let copies = try await ProtooTool.runAsync(["load", url, "--trace", Self.trace, "--copies", "100000000"])
            #expect(copies.status == 2, "\(copies.outputText)")
            #expect(copies.error.contains("--copies 100000000 needs about"), "\(copies.error)")
            #expect(copies.error.contains("fit"), "\(copies.error)")
            let peers = try await ProtooTool.runAsync(["load", url, "--peers", "100000000", "--duration", "1s"])
            #expect(peers.status == 2)
            #expect(peers.error.contains("at most"), "\(peers.error)")
        }
    }

    @Test(arguments: [["--trace", Self.trace, "--copies", "4", "--duration", "60s"], ["--peers", "4", "--duration", "60s"]])
    func sigintStopsTheRunAndPrintsWhatWasMeasured(_ mode: [String]) async throws {
        try await withServer { server in
            let process = Process()
            process.executableURL = try ProtooTool.executable()
            process.arguments = ["load", "ws://127.0.0.1:\(server.port)/"] + mode
            let output = Pipe()
            process.standardOutput = output
            process.standardError = Pipe()
            try process.run()
            // Running once the server has peers of the load.
            try await waitUntil("the load is running") {
                (try? await server.withApp { ($0 as? ConformanceApp)?.rooms.values.contains { !$0.peers.isEmpty } ?? false }) ?? false
            }
            process.interrupt()
            let text = try await offPool {
                let data = output.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                return String(decoding: data, as: UTF8.self)
            }
            #expect(process.terminationReason == .exit, "it handled SIGINT instead of dying of it")
            #expect(text.contains("requests") || text.contains("method"), "\(text)")
        }
    }
}
