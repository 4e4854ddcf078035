import Protoo

/// A deliberately broken protoo server, for the load tool's invariants: it speaks protoo on the
/// raw transport (no engine `Peer`, which would never do this) and answers every request wrongly.
public final class BrokenServerApp: ProtooApp {
    /// How it answers each request.
    public enum Mode: Sendable {
        /// Two success responses with the request's id.
        case answersTwice
        /// One success response with an id no request had.
        case answersUnknownID
        /// A frame that is not a protoo message, then the right answer.
        case sendsGarbage
    }

    let mode: Mode
    private var connections: [Connection] = []

    public init(mode: Mode) { self.mode = mode }

    public static func factory(_ mode: Mode) -> ProtooAppFactory { { _ in BrokenServerApp(mode: mode) } }

    public func handleConnection(_ request: ConnectionRequest) {
        let connection = Connection(mode: mode, transport: request.accept())
        connections.append(connection)
    }

    final class Connection: TransportDelegate {
        let mode: Mode
        let transport: any Transport

        init(mode: Mode, transport: any Transport) {
            self.mode = mode
            self.transport = transport
            transport.delegate = self
        }

        func transport(_ transport: any Transport, didReceive text: String) {
            guard let message = try? JSONParser.parse(text), message["request"] == true, let id = message["id"]?.intValue else { return }
            let answer = { (id: Int) in #"{"response":true,"id":\#(id),"ok":true,"data":{}}"# }
            switch mode {
            case .answersTwice:
                transport.send(answer(id))
                transport.send(answer(id))
            case .answersUnknownID:
                transport.send(answer(id == 1 ? 2 : id - 1))
            case .sendsGarbage:
                transport.send("{\"hello\":")
                transport.send(answer(id))
            }
        }

        func transport(_ transport: any Transport, didClose event: TransportCloseEvent) {}
    }
}
