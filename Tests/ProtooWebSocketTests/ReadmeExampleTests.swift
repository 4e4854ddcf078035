import Protoo
import ProtooClient
import ProtooWebSocket
import ProtooTestSupport
import Testing

// The README's minimal server and client, verbatim but for the port (0 here); `ReadmeTests`
// checks that every line of the README's Swift blocks is in a test like this one.

final class EchoRoom: ProtooApp {
    let room: Room
    init(context: EngineContext) { room = Room(context: context) }

    func handleConnection(_ request: ConnectionRequest) {
        guard let id = request.queryValue("peerId"), !id.isEmpty else {
            return request.reject(status: 400, reason: "peerId required")
        }
        guard let peer = try? room.createPeer(id: id, transport: request.accept()) else { return }
        peer.onRequest { request in .accept(request.data) }
    }
}

@Suite struct ReadmeExampleTests {
    @Test func minimalServerAndClientFromTheReadme() async throws {
        let server = try await ProtooServer.start(.init(host: "127.0.0.1", port: 0), app: { EchoRoom(context: $0) })
        try await shuttingDown(server) {
            let client = try await ProtooClient.start(url: "ws://127.0.0.1:\(server.port)/?peerId=alice")
            for await event in client.events where event == .open { break }
            let reply = try await client.request("echo", ["hello": "world"])
            #expect(reply == ["hello": "world"])
            await client.close()
        }
    }
}
