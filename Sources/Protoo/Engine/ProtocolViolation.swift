/// Something the remote side sent that protoo does not allow, as a ``Peer`` saw it before dropping
/// it: a frame that is not a protoo message, or a response that answers no request of this peer.
/// A peer reports them to ``Peer/onProtocolViolation(_:)``; the load tool's client invariants are
/// built on it.
public struct ProtocolViolation: Sendable, Hashable, CustomStringConvertible {
    /// What was wrong.
    public enum Kind: String, Sendable, Hashable {
        /// A frame that is not a protoo message (bad JSON, missing fields).
        case invalidMessage
        /// A response whose id this peer never used for a request (still open or finished).
        case unknownResponse
        /// A second response to a request already answered.
        case duplicateResponse
        /// A response to a request that had already timed out: late, not wrong (a slow or
        /// clogged network does this).
        case lateResponse
    }

    /// What was wrong.
    public var kind: Kind
    /// The response's id (`nil` for an invalid message).
    public var requestID: RequestID?
    /// What the peer saw, for a report (the decoding error, or the request's method).
    public var detail: String

    public init(kind: Kind, requestID: RequestID?, detail: String) {
        self.kind = kind
        self.requestID = requestID
        self.detail = detail
    }

    /// Whether the remote side broke the protocol (a late response does not).
    public var isBreach: Bool { kind != .lateResponse }

    public var description: String {
        switch kind {
        case .invalidMessage: "invalid message: \(detail)"
        case .unknownResponse: "response to unknown request id \(requestID ?? 0)"
        case .duplicateResponse: "second response to request id \(requestID ?? 0) (\(detail))"
        case .lateResponse: "late response to request id \(requestID ?? 0) (\(detail)), after its timeout"
        }
    }
}

/// The requests a peer finished (answered or timed out), remembered while someone watches for
/// ``ProtocolViolation``s: the last ``capacity`` of them, oldest forgotten first.
struct FinishedRequests {
    static let capacity = 256
    private var outcome: [RequestID: (method: String, timedOut: Bool)] = [:]
    private var order: [RequestID] = []
    private var head = 0

    func contains(_ id: RequestID) -> Bool { outcome[id] != nil }
    func lookup(_ id: RequestID) -> (method: String, timedOut: Bool)? { outcome[id] }

    mutating func record(_ id: RequestID, method: String, timedOut: Bool) {
        outcome[id] = (method, timedOut)
        order.append(id)
        if order.count - head > Self.capacity {
            outcome[order[head]] = nil
            head += 1
            if head >= Self.capacity {
                order.removeFirst(head)
                head = 0
            }
        }
    }
}
