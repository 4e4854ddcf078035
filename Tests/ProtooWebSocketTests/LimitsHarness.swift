import Protoo
import ProtooTestSupport
import ProtooWebSocket
import Testing

extension Harness {
    /// Retries an upgrade until it is answered `status` (the server may take a turn to notice a
    /// close); `nil` if it never was.
    static func upgradeEventually(port: Int, target: String, status: String) async throws -> RawWebSocketClient? {
        var upgraded: RawWebSocketClient?
        _ = try await eventually {
            let (client, answered) = try await RawWebSocketClient.upgraded(port: port, target: target)
            if answered == status {
                upgraded = client
                return true
            }
            await client.close()
            return false
        }
        return upgraded
    }
}
