import Protoo
import ProtooCommands
import ProtooSimulator

// The contract, as a user writes it (README: "Simulate your own app").

final class ChatApp: ProtooApp {
    let context: EngineContext
    var rooms: [String: Room] = [:]
    init(context: EngineContext) { self.context = context }

    func handleConnection(_ request: ConnectionRequest) {
        guard let roomId = request.queryValue("roomId"), let peerId = request.queryValue("peerId") else {
            return request.reject(status: 400, reason: "roomId and peerId required")
        }
        let room = rooms[roomId] ?? Room(context: context)
        rooms[roomId] = room
        guard let peer = try? room.createPeer(id: peerId, transport: request.accept()) else { return }
        peer.onRequest { [context, unowned peer] request async throws -> Reply in
            guard request.method == "join" else { throw ProtooError.reject(404, "unknown method") }
            try await context.sleep(for: .milliseconds(50))      // an awaited service: virtual time in simulation
            return .accept(["peers": .array(room.peers.filter { $0 !== peer }.map { .string($0.id) })])
        }
        peer.onNotification { [unowned peer] method, data in
            for other in room.peers where other !== peer { other.notify(method, data) }
        }
    }
}

var chat = SimulationScenario(name: "chat", app: { ChatApp(context: $0) }) { client in
    // runs on every open (first connect and each reconnect); a close cancels it
    _ = try await client.request("join", [:])
    for _ in 0..<20 {
        try await client.sleep(for: .milliseconds(500 + Int64(client.random.next() % 2_500)))
        client.notify("chat", ["text": "hello"])
    }
    client.leave()
}
chat.invariant("no room is empty while its peers are connected") { (app: ChatApp) -> String? in nil }

if CommandLine.arguments.dropFirst().first == "contract" {
    var configuration = SimulationConfiguration()
    configuration.rooms = 20
    configuration.peersPerRoom = 10
    configuration.duration = .seconds(120)
    configuration.faults = .heavy
    configuration.seed = 7
    let report = try Simulation(configuration, scenario: chat).run()  // throws SimulationFailure (seed, reproduce)
    print(report.digest)                                              // same seed ⇒ same digest, in any process
} else {
    ProtooCommand.main(apps: ["chat": { ChatApp(context: $0) }, "chat-renamed": { RenamedChatApp(context: $0) },
                              "chat-unordered": { UnorderedChatApp(context: $0) }],
                       scenarios: [chat, broken(chat), unorderedChat])
}
