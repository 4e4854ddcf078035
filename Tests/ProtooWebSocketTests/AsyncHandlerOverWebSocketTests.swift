import Foundation
import Protoo
import ProtooClient
import ProtooWebSocket
import Synchronization
import ProtooTestSupport
import Testing

/// An app service the handlers await, as real handlers await a media server or a database.
actor Inventory {
    private var next = 0
    func reserve() -> Int {
        next += 1
        return next
    }
}

/// Async handlers on a real server: sleeps on the event loop's timer, awaits an actor, a request
/// to the client and a latch the test opens, and one handler that never finishes unless cancelled.
final class AsyncApp: ProtooApp {
    let context: EngineContext
    let room: Room
    let inventory = Inventory()
    let cancelledForever: AsyncHandlerOverWebSocketTests.Counter
    let gate: Latch

    init(context: EngineContext, cancelled: AsyncHandlerOverWebSocketTests.Counter, gate: Latch = Latch()) {
        self.context = context
        self.room = Room(context: context)
        self.cancelledForever = cancelled
        self.gate = gate
    }

    func handleConnection(_ request: ConnectionRequest) {
        guard let id = request.queryValue("peerId"), let peer = try? room.createPeer(id: id, transport: request.accept()) else {
            return request.reject(status: 400, reason: "peerId required")
        }
        peer.onRequest { [context, inventory, gate, unowned peer] request async throws -> Reply in
            switch request.method {
            case "sleep":
                let ms = Int64(request.data["ms"]?.intValue ?? 0)
                try await context.sleep(for: .milliseconds(ms))
                return .accept(["slept": .int(ms)])
            case "gate":
                await gate.wait()
                return .accept(["released": true])
            case "reserve":
                return .accept(["n": .int(Int64(await inventory.reserve()))])
            case "ask":
                let answer = try await peer.request("question", ["q": "ready?"])
                return .accept(["client said": answer])
            case "forever":
                do {
                    try await context.sleep(for: .seconds(3600))
                } catch is CancellationError {
                    _ = self.cancelledForever.value.add(1, ordering: .relaxed)
                    throw ProtooError.reject(503, "server shutting down")
                }
                return .accept()
            default:
                throw ProtooError.reject(404, "unknown method")
            }
        }
    }
}

@Suite struct AsyncHandlerOverWebSocketTests {
    final class Counter: Sendable { let value = Atomic<Int>(0) }

    @Test func asyncHandlersAnswerOverRealSocketsManyAtOnce() async throws {
        let counter = Counter()
        try await withServer(app: { AsyncApp(context: $0, cancelled: counter) }) { server in
            let connected = try await Harness.openClient(server, peerID: "alice")
            let client = connected.client
            await client.onRequest { method, data in ["echoed": data["q"] ?? .null, "method": .string(method)] }
            // Ten in flight at once on one connection; the shortest sleep answers first.
            let answers = try await withThrowingTaskGroup(of: (Int, JSONValue).self) { group in
                for i in 0..<10 {
                    group.addTask { (i, try await client.request("sleep", ["ms": .int(Int64(100 - i * 10))])) }
                }
                var all: [(Int, JSONValue)] = []
                for try await answer in group { all.append(answer) }
                return all
            }
            #expect(answers.count == 10)
            for (i, data) in answers { #expect(data == ["slept": .int(Int64(100 - i * 10))]) }
            let reserved = try await client.request("reserve")
            #expect(reserved == ["n": 1])
            let asked = try await client.request("ask")
            #expect(asked == ["client said": ["echoed": "ready?", "method": "question"]])
            await #expect(throws: ProtooError.rejected(code: 404, reason: "unknown method")) { try await client.request("nope") }
            await client.close()
        }
    }

    @Test func shutdownSettlesHandlersStillAwaiting() async throws {
        let counter = Counter(), gate = Latch()
        defer { gate.open() }
        // A grace period the held handler's release fits in however loaded the machine (it is let
        // go as soon as the shutdown is seen to begin); the stuck one is cancelled when it ends.
        try await withServer(app: { AsyncApp(context: $0, cancelled: counter, gate: gate) },
                             configure: { $0.shutdownGracePeriod = .seconds(15) }) { server in
            let connected = try await Harness.openClient(server, peerID: "bob", reconnect: nil)
            let client = connected.client
            let pending = Task { try await client.request("forever") }
            let held = Task { try await client.request("gate") }
            try await waitUntil("both requests on the server") {
                (try? await server.withApp { app in (app as! AsyncApp).context.executor.runningTasks.count }) ?? 0 >= 2
            }
            let shutdown = Task { await server.shutdown() }
            // The shutdown is settling the handlers once the server refuses new connections (503):
            // the held one, let go now, finishes inside the grace period; the stuck one is cancelled.
            try await waitUntil("the shutdown began") {
                guard let (probe, status) = try? await RawWebSocketClient.upgraded(port: server.port, target: "/?peerId=probe") else { return false }
                await probe.close()
                return status == "HTTP/1.1 503 Service Unavailable"
            }
            gate.open()
            await shutdown.value
            #expect(try await held.value == ["released": true])
            await #expect(throws: ProtooError.rejected(code: 503, reason: "server shutting down")) { try await pending.value }
            #expect(counter.value.load(ordering: .relaxed) == 1)
            await client.close()
        }
    }
}
