import Foundation
import NIOCore
import NIOPosix
import Protoo
import ProtooClient
import ProtooTestSupport
import Testing

/// Every client-side wait has a deadline: a server that accepts TCP and never answers the upgrade
/// does not hold the Swift client, `protoo load`, live replay or trace load (these hung for 83 to
/// 150 s and more; the time limit fails a test that hangs).
@Suite(.timeLimit(.minutes(1)))
struct ClientDeadlineTests {
    /// Accepts TCP connections and never answers anything.
    final class SilentServer: Sendable {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let channel: any Channel
        var port: Int { channel.localAddress?.port ?? 0 }
        init() async throws {
            channel = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        }
        func stop() async {
            try? await channel.close()
            try? await group.shutdownGracefully()
        }
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func theSwiftClientsUpgradeHasADeadline() async throws {
        let silent = try await SilentServer()
        let client = try await ProtooClient.start(url: "ws://127.0.0.1:\(silent.port)/?peerId=a",
                                                  configuration: ProtooClient.Configuration(reconnect: nil, connectTimeout: .milliseconds(300),
                                                                                            logger: Harness.quietLogger))
        var events: [ProtooClient.Event] = []
        for await event in client.events { events.append(event) }   // ends once the client gave up
        #expect(events.first == .failed(attempt: 1), "\(events)")
        #expect(events.last == .close)
        await silent.stop()
    }

    @Test func loadAgainstASilentServerGivesUpWithinItsDuration() async throws {
        let silent = try await SilentServer()
        let load = try await ProtooTool.runAsync(["load", "ws://127.0.0.1:\(silent.port)/", "--peers", "5", "--duration", "2s"])
        #expect(load.status == 2, "\(load.outputText)\n\(load.error)")
        #expect(load.error.contains("none of 5 peers could connect"), "\(load.error)")
        await silent.stop()
    }

    @Test func liveReplayAndTraceLoadAgainstASilentServerCouldNotRun() async throws {
        let silent = try await SilentServer()
        let trace = Self.root.appendingPathComponent("traces/conformance-session.ptrace.zst").path
        let url = "ws://127.0.0.1:\(silent.port)/"
        let replay = try await ProtooTool.runAsync(["replay", trace, "--target", url, "--json"])
        #expect(replay.status == 2, "\(replay.outputText)")
        #expect(try JSONParser.parse(replay.outputText)["reason"]?.stringValue?.contains("no answer to the WebSocket upgrade") == true)
        let load = try await ProtooTool.runAsync(["load", url, "--trace", trace, "--copies", "3", "--duration", "3s"])
        #expect(load.status == 2, "\(load.outputText)")
        await silent.stop()
    }
}
