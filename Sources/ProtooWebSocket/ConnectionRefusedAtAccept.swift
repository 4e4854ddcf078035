/// Why a TCP connection was closed as soon as it was accepted (thrown from the child channel
/// initializer, so NIO closes it).
enum ConnectionRefusedAtAccept: Error, CustomStringConvertible {
    /// ``ProtooServer/Configuration/maxPendingHandshakes`` connections are still in their handshake.
    case tooManyPendingHandshakes(limit: Int)

    var description: String {
        switch self {
        case .tooManyPendingHandshakes(let limit):
            return "\(limit) connections are still in their WebSocket handshake; raise maxPendingHandshakes or lower handshakeTimeout"
        }
    }
}
