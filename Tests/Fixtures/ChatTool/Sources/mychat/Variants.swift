import Protoo
import ProtooSimulator

// Variants the fixture's checks need: a regression, a broken invariant, and an app that lets a
// Dictionary's order reach its output.

/// The chat app after a regression: its join answer renames `peers` to `members`.
final class RenamedChatApp: ProtooApp {
    let inner: ChatApp
    init(context: EngineContext) { inner = ChatApp(context: context) }

    func handleConnection(_ request: ConnectionRequest) {
        inner.handleConnection(request)
        guard let roomId = request.queryValue("roomId"), let peerId = request.queryValue("peerId"),
              let room = inner.rooms[roomId], let peer = room.peer(peerId) else { return }
        peer.onRequest { [context = inner.context, unowned peer] request async throws -> Reply in
            try await context.sleep(for: .milliseconds(50))
            return .accept(["members": .array(room.peers.filter { $0 !== peer }.map { .string($0.id) })])
        }
    }
}

/// The chat app answering `join` with every room's id, in the order of a `[String: Room]`: that
/// order changes from process to process.
final class UnorderedChatApp: ProtooApp {
    let inner: ChatApp
    init(context: EngineContext) { inner = ChatApp(context: context) }

    func handleConnection(_ request: ConnectionRequest) {
        inner.handleConnection(request)
        guard let roomId = request.queryValue("roomId"), let peerId = request.queryValue("peerId"),
              let peer = inner.rooms[roomId]?.peer(peerId) else { return }
        let app = inner
        peer.onRequest { request async throws -> Reply in
            .accept(["rooms": .array(app.rooms.keys.map { .string($0) })])
        }
    }
}

/// `chat` with an invariant that breaks once more than five rooms exist.
func broken(_ chat: SimulationScenario) -> SimulationScenario {
    var scenario = chat
    scenario.name = "chat-broken"
    scenario.invariant("at most five rooms") { (app: ChatApp) -> String? in
        app.rooms.count > 5 ? "\(app.rooms.count) rooms" : nil
    }
    return scenario
}

/// Clients that join ``UnorderedChatApp``'s rooms and chat a little.
let unorderedChat = SimulationScenario(name: "chat-unordered", app: { UnorderedChatApp(context: $0) }) { client in
    _ = try await client.request("join")
    try await client.sleep(for: .seconds(1))
    client.notify("chat", ["text": "hello"])
}
