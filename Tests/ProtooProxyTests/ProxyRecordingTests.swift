import Foundation
import Protoo
import ProtooApps
import ProtooProxy
import ProtooReplay
import ProtooTrace
import ProtooWebSocket
import Testing

/// The proxy's recording: the trace is the upstream server's traffic, and it replays against the
/// upstream app in process.
@Suite(.timeLimit(.minutes(1)))
struct ProxyRecordingTests {
    @Test func traceRecordedByTheProxyReplaysAgainstTheUpstreamApp() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("proxy-\(UUID().uuidString).ptrace.zst").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let header = TraceHeader(createdAtUnixNanoseconds: 0, producerName: "protoo proxy --upstream test", producerVersion: "test", host: "test")
        let recorder = try TraceRecorder(configuration: TraceRecorderConfiguration(path: path, header: header))
        let servers = try await Harness.proxied(configure: { $0.trafficTap = recorder })

        let a = try await Harness.openClient(port: servers.port, peerID: "a", reconnect: nil)
        let b = try await Harness.openClient(port: servers.port, peerID: "b", reconnect: nil)
        await a.client.onRequest { _, data in ["got": data] }
        #expect(try await a.client.request("echo", ["x": [1, "é"]]) == ["x": [1, "é"]])
        #expect(try await a.client.request("notifyMe", ["method": "n", "data": ["k": 1]]) == .emptyObject)
        #expect(try await a.client.request("requestMe", ["method": "m", "data": ["q": 2]]) == ["got": ["q": 2]])
        try await a.client.notify("hello", ["z": true])
        _ = try await a.client.request("receivedNotifications")
        #expect(try await Harness.roomPeers(b.client) == ["a", "b"])
        await #expect(throws: ProtooError.self) { try await a.client.request("reject") }
        let refused = try await WireClient.dial("\(servers.url)/?peerId=reject")
        guard case .refused(403, _) = refused else { throw Refusal() }
        _ = try await b.client.request("closeMe")
        try await Harness.waitUntil("b closed") { await b.log.events.contains(.close) }
        await a.client.close()
        try await Task.sleep(for: .milliseconds(200))
        await servers.shutdown()
        try recorder.close()

        let report = try Replayer(path: path, app: { ConformanceApp(context: $0) }).run()
        #expect(report.divergences.isEmpty, "\(report)")
        #expect(report.outputsCompared > 10)
        let source = try TraceFiles.openSource(path)
        var kinds: [String] = []
        while let record = try source.next() {
            switch record.event {
            case .rejected(let status, _): kinds.append("rejected \(status)")
            case .closed(let code, _, let initiator): kinds.append("closed \(code.map(String.init) ?? "none") \(initiator)")
            default: break
            }
        }
        #expect(kinds.contains("rejected 403"))
        #expect(kinds.contains("closed 4000 server"))
        #expect(kinds.contains("closed 1000 client"))
    }

    @Test func aLostClientMessageIsNotRecordedAsReceived() async throws {
        let tap = RecordingTap()
        let servers = try await Harness.proxied(Harness.wire) {
            $0.trafficTap = tap
            $0.faults.lossProbability = 1
            $0.seed = 1
        }
        let a = try #require(try await WireClient.dial("\(servers.url)/").client)
        a.send("lost on the way")
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await servers.upstream.wireSeen().first?.received == [])
        #expect(!tap.entries.contains { $0.hasPrefix("in ") })
        a.close(code: 1000, reason: "")
        await servers.shutdown()
    }

    @Test func injectedFaultsAreMarkedInTheTrace() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("proxy-faults-\(UUID().uuidString).ptrace.zst").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let header = TraceHeader(createdAtUnixNanoseconds: 0, producerName: "protoo proxy --upstream test", producerVersion: "test", host: "test")
        let recorder = try TraceRecorder(configuration: TraceRecorderConfiguration(path: path, header: header))
        var faults = ProxyFaults()
        faults.lossProbability = 1
        faults.serverCloseRate = 12  // one every 5 s on average
        // The close 2–5 s in: a loaded parallel run still sends its message first.
        let seed = Harness.seed(firstFaultOf: faults, within: .seconds(2)...(.seconds(5)))
        let servers = try await Harness.proxied(Harness.wire) {
            $0.trafficTap = recorder
            $0.faults = faults
            $0.seed = seed
        }
        let a = try #require(try await WireClient.dial("\(servers.url)/").client)
        a.send("lost")
        _ = try await a.waitForClose()
        try await Task.sleep(for: .milliseconds(100))
        await servers.shutdown()
        try recorder.close()
        let source = try TraceFiles.openSource(path)
        var markers: [String] = []
        while let record = try source.next() {
            if case .marker(let name, let text) = record.event { markers.append("\(name): \(text)") }
        }
        // The injected server close is the proxy closing the upstream side: its completion is marked too.
        #expect(markers == ["fault: message lost towards upstream (4 bytes)", "fault: server close", "closeCompleted: "])
    }

    struct Refusal: Error {}
}
