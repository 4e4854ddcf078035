import Foundation
import ProtooWebSocket
import Protoo

/// An upstream app without protoo logic, to see what the proxy delivers: it echoes every message
/// verbatim, first sends `{"target": …, "headers": [[name, value], …]}` on `/hello`, closes
/// with code and reason on `close CODE REASON`, refuses `?reject=STATUS` with "go away", and
/// remembers what each connection received and how it closed.
final class WireApp: ProtooApp {
    /// What one connection saw.
    struct Seen: Sendable {
        var received: [String] = []
        var closed: TransportCloseEvent?
    }

    private var connections: [Connection] = []

    init(context: EngineContext) {}

    /// Every connection's view, in order.
    var seen: [Seen] { connections.map(\.seen) }

    func handleConnection(_ request: ConnectionRequest) {
        if let status = request.queryValue("reject").flatMap(Int.init) {
            return request.reject(status: status, reason: "go away")
        }
        let connection = Connection(request.accept())
        connections.append(connection)
        if request.path == "/hello" {
            let headers: JSONValue = .array(request.headers.map { .array([.string($0.name), .string($0.value)]) })
            connection.transport.send(JSONWriter.string(["target": .string(request.target), "headers": headers]))
        }
    }

    final class Connection: TransportDelegate {
        let transport: any Transport
        var seen = Seen()

        init(_ transport: any Transport) {
            self.transport = transport
            transport.delegate = self
        }

        func transport(_ transport: any Transport, didReceive text: String) {
            seen.received.append(text)
            if text.hasPrefix("close ") {
                let parts = text.split(separator: " ", maxSplits: 2)
                transport.close(code: UInt16(parts[1]) ?? 1000, reason: parts.count > 2 ? String(parts[2]) : "")
            } else {
                transport.send(text)
            }
        }

        func transport(_ transport: any Transport, didClose event: TransportCloseEvent) { seen.closed = event }
    }
}

extension ProtooServer {
    /// The ``WireApp``'s connections as it saw them.
    func wireSeen() async throws -> [WireApp.Seen] {
        try await withApp { ($0 as? WireApp)?.seen ?? [] }
    }
}
