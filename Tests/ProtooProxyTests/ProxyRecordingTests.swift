import Foundation
import Protoo
import ProtooApps
import ProtooProxy
import ProtooReplay
import ProtooTrace
import ProtooWebSocket
import ProtooTestSupport
import Testing

/// The proxy's recording: the trace is the upstream server's traffic, and it replays against the
/// upstream app in process (the fault markers, on virtual time: VirtualTimeFaultTests).
@Suite(.timeLimit(.minutes(1)))
struct ProxyRecordingTests {
    @Test func traceRecordedByTheProxyReplaysAgainstTheUpstreamApp() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("proxy-\(UUID().uuidString).ptrace.zst").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let header = TraceHeader(createdAtUnixNanoseconds: 0, producerName: "protoo proxy --upstream test", producerVersion: "test", host: "test")
        let recorder = try TraceRecorder(configuration: TraceRecorderConfiguration(path: path, header: header))
        try await withProxied(configure: { $0.trafficTap = recorder }) { servers in
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
            try await waitUntil("b closed") { await b.log.events.contains(.close) }
            await a.client.close()
            // A relay ends once both its sides are closed: the upstream side's close is recorded by then.
            try await waitUntil("both relays ended") { try await Harness.relayedConnections(servers.proxy) == 0 }
        }
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
        try await withProxied(Harness.wire, configure: {
            $0.trafficTap = tap
            $0.faults.lossProbability = 1
            $0.seed = 1
        }) { servers in
            let a = try #require(try await WireClient.dial("\(servers.url)/").client)
            a.send("lost on the way")
            // The close goes behind the message and is never lost: once the upstream saw it, the
            // message had its chance.
            a.close(code: 1000, reason: "")
            try await waitUntil("the upstream saw the close") { (try? await servers.upstream.wireSeen().first?.closed) != nil }
            #expect(try await servers.upstream.wireSeen().first?.received == [])
            #expect(!tap.entries.contains { $0.hasPrefix("in ") })
        }
    }

    struct Refusal: Error {}
}
