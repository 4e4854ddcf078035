/// The ways a request sent with ``Peer/request(_:_:completion:)`` can fail, each with the code and
/// reason a protoo error response would carry.
public enum ProtooError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No response within the timeout (2000 ms × (15 + 0.1 × pending) on the server).
    case requestTimeout
    /// The peer closed (either side) while the request was pending, or before it was sent.
    case peerClosed
    /// The remote side answered with an error response.
    case rejected(code: Int, reason: String)

    /// Build this in a request handler and throw it to answer with an error response.
    public static func reject(_ code: Int, _ reason: String) -> ProtooError { .rejected(code: code, reason: reason) }

    public var code: Int {
        switch self {
        case .requestTimeout: return 408
        case .peerClosed: return 410
        case .rejected(let code, _): return code
        }
    }

    public var reason: String {
        switch self {
        case .requestTimeout: return "request timeout"
        case .peerClosed: return "peer closed"
        case .rejected(_, let reason): return reason
        }
    }

    public var description: String {
        switch self {
        case .requestTimeout, .peerClosed: return reason
        case .rejected(let code, let reason): return "rejected \(code): \(reason)"
        }
    }
}

/// Why ``Room/createPeer(id:transport:)`` refused a peer. In every case the transport was closed.
public enum RoomError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The peer id was empty: take a non-empty id from the connection URL.
    case invalidPeerID
    /// A peer with this id is in the room: close the old one first, or refuse the new connection.
    case duplicatePeerID(String)
    /// The room is closed: create a new room for new peers.
    case roomClosed

    public var description: String {
        switch self {
        case .invalidPeerID: return "peerId must be a non-empty string"
        case .duplicatePeerID(let id): return "there is already a Peer with same peerId [peerId:\"\(id)\"]"
        case .roomClosed: return "room is closed; create a new Room for new peers"
        }
    }
}
