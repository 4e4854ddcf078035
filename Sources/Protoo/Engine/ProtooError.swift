/// The ways a request sent with ``Peer/request(_:_:completion:)`` can fail, each with the code and
/// reason a protoo error response would carry.
public struct ProtooError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, with its details (the library's own code switches on it).
    package enum Kind: Sendable, Hashable {
        /// No response within the timeout (2000 ms × (15 + 0.1 × pending) on the server).
        case requestTimeout
        /// The peer closed (either side) while the request was pending, or before it was sent.
        case peerClosed
        /// The remote side answered with an error response.
        case rejected(code: Int, reason: String)
    }

    /// Which error this is: compare with `==` (new codes may be added in a minor release, so
    /// never switch on it exhaustively).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }
        public static let requestTimeout = Code("requestTimeout")
        public static let peerClosed = Code("peerClosed")
        public static let rejected = Code("rejected")
    }

    package let kind: Kind
    package init(_ kind: Kind) { self.kind = kind }

    /// Which error this is (see ``Code``).
    public var errorCode: Code {
        switch kind {
        case .requestTimeout: return .requestTimeout
        case .peerClosed: return .peerClosed
        case .rejected: return .rejected
        }
    }

    /// No response within the timeout (2000 ms × (15 + 0.1 × pending) on the server).
    public static let requestTimeout = ProtooError(.requestTimeout)
    /// The peer closed (either side) while the request was pending, or before it was sent.
    public static let peerClosed = ProtooError(.peerClosed)
    /// The remote side answered with an error response.
    public static func rejected(code: Int, reason: String) -> ProtooError { ProtooError(.rejected(code: code, reason: reason)) }

    /// Build this in a request handler and throw it to answer with an error response.
    public static func reject(_ code: Int, _ reason: String) -> ProtooError { .rejected(code: code, reason: reason) }

    public var code: Int {
        switch kind {
        case .requestTimeout: return 408
        case .peerClosed: return 410
        case .rejected(let code, _): return code
        }
    }

    public var reason: String {
        switch kind {
        case .requestTimeout: return "request timeout"
        case .peerClosed: return "peer closed"
        case .rejected(_, let reason): return reason
        }
    }

    public var description: String {
        switch kind {
        case .requestTimeout, .peerClosed: return reason
        case .rejected(let code, let reason): return "rejected \(code): \(reason)"
        }
    }
}

/// Why ``Room/createPeer(id:transport:)`` refused a peer. In every case the transport was closed.
public struct RoomError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, with its details (the library's own code switches on it).
    package enum Kind: Sendable, Hashable {
        /// The peer id was empty: take a non-empty id from the connection URL.
        case invalidPeerID
        /// A peer with this id is in the room: close the old one first, or refuse the new connection.
        case duplicatePeerID(String)
        /// The room is closed: create a new room for new peers.
        case roomClosed
    }

    /// Which error this is: compare with `==` (new codes may be added in a minor release, so
    /// never switch on it exhaustively).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }
        public static let invalidPeerID = Code("invalidPeerID")
        public static let duplicatePeerID = Code("duplicatePeerID")
        public static let roomClosed = Code("roomClosed")
    }

    package let kind: Kind
    package init(_ kind: Kind) { self.kind = kind }

    /// Which error this is (see ``Code``).
    public var errorCode: Code {
        switch kind {
        case .invalidPeerID: return .invalidPeerID
        case .duplicatePeerID: return .duplicatePeerID
        case .roomClosed: return .roomClosed
        }
    }

    /// The peer id was empty: take a non-empty id from the connection URL.
    public static let invalidPeerID = RoomError(.invalidPeerID)
    /// A peer with this id is in the room: close the old one first, or refuse the new connection.
    public static func duplicatePeerID(_ value0: String) -> RoomError { RoomError(.duplicatePeerID(value0)) }
    /// The room is closed: create a new room for new peers.
    public static let roomClosed = RoomError(.roomClosed)

    public var description: String {
        switch kind {
        case .invalidPeerID: return "peerId must be a non-empty string"
        case .duplicatePeerID(let id): return "there is already a Peer with same peerId [peerId:\"\(id)\"]"
        case .roomClosed: return "room is closed; create a new Room for new peers"
        }
    }
}
