import Foundation
import Protoo
import ProtooClient
import ProtooLiveReplay
import ProtooReplay
import ProtooWebSocket
import ProtooTestSupport
import Testing

/// What live replay tolerates in another order than recorded, and what it reports.
@Suite(.timeLimit(.minutes(1)))
struct OrderToleranceTests {
    /// Answers `go` and sends two `tick` notifications (i = 1, 2) and a `tock`: the response first
    /// or last, the ticks in order or swapped, the tock first or last.
    final class OrderApp: ProtooApp {
        let notificationsFirst: Bool
        let swapTicks: Bool
        let tockFirst: Bool
        let context: EngineContext
        var peers: [Peer] = []

        init(context: EngineContext, notificationsFirst: Bool = false, swapTicks: Bool = false, tockFirst: Bool = false) {
            self.context = context
            self.notificationsFirst = notificationsFirst
            self.swapTicks = swapTicks
            self.tockFirst = tockFirst
        }

        func handleConnection(_ request: ConnectionRequest) {
            let peer = Peer(id: request.queryValue("peerId") ?? "?", transport: request.accept(), context: context)
            peers.append(peer)
            peer.onRequest { [unowned self, unowned peer] request in
                let ticks: [JSONValue] = swapTicks ? [2, 1] : [1, 2]
                func notifyAll() {
                    if tockFirst { peer.notify("tock", [:]) }
                    for i in ticks { peer.notify("tick", ["i": i]) }
                    if !tockFirst { peer.notify("tock", [:]) }
                }
                if notificationsFirst { notifyAll() }
                request.accept(["ok": true])
                if !notificationsFirst { notifyAll() }
                return .deferred
            }
        }
    }

    func record(to path: String) async throws {
        try await withRecordingServer(to: path, app: { OrderApp(context: $0) }) { server in
            let client = try await ProtooClient.start(url: "ws://127.0.0.1:\(server.port)/?peerId=p",
                                                      configuration: ProtooClient.Configuration(reconnect: nil, logger: Harness.quietLogger))
            // The app sends its notifications with the response: they are recorded by the time it arrives.
            try await waitUntil("open") { (try? await client.request("go")) != nil }
            await client.close()
        }
    }

    func replay(_ path: String, against app: @escaping ProtooAppFactory) async throws -> LiveReplayReport {
        try await withServer(app: app) { server in
            var options = LiveReplayOptions()
            options.settle = .milliseconds(300)
            return try await offPool { [options] in try LiveReplayer(path: path, target: "ws://127.0.0.1:\(server.port)/", options: options).run() }
        }
    }

    @Test func notificationsMayOvertakeAResponseAndOtherMethods() async throws {
        let path = temporaryPath("order.ptrace.zst")
        try await record(to: path)
        let same = try await replay(path) { OrderApp(context: $0) }
        #expect(same.passed, "\(same)")
        let overtaking = try await replay(path) { OrderApp(context: $0, notificationsFirst: true, tockFirst: true) }
        #expect(overtaking.passed, "\(overtaking)")
    }

    @Test func notificationsOfOneMethodKeepTheirOrder() async throws {
        let path = temporaryPath("order.ptrace.zst")
        try await record(to: path)
        let swapped = try await replay(path) { OrderApp(context: $0, swapTicks: true) }
        #expect(!swapped.passed)
        let first = try #require(swapped.divergences.first)
        #expect(first.kind == .reordered)
        #expect(first.method == "tick")
        #expect(first.matchedTime != nil)
        #expect(first.description.contains("order/timing changed"))
    }
}
