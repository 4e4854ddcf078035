/// What a request handler returns.
public enum Reply {
    /// Answer with a success response carrying `data`.
    case accept(JSONValue = .emptyObject)
    /// Answer with an error response.
    case reject(code: Int, reason: String)
    /// Answer later through ``IncomingRequest/accept(_:)`` or ``IncomingRequest/reject(code:reason:)``.
    case deferred
}

/// A request received from the remote side, answered exactly once.
///
/// The handler usually answers by returning a ``Reply``. To answer later (after awaiting another
/// request, a timer, …), return ``Reply/deferred`` and keep this object. Only the first answer is
/// sent; later ones, and answers after the peer closed, are ignored.
public final class IncomingRequest {
    public let id: RequestID
    public let method: String
    public let data: JSONValue
    /// The peer that received the request.
    public let peer: Peer
    public private(set) var isAnswered = false

    init(id: RequestID, method: String, data: JSONValue, peer: Peer) {
        self.id = id
        self.method = method
        self.data = data
        self.peer = peer
    }

    /// Sends the success response.
    public func accept(_ data: JSONValue = .emptyObject) {
        answer(.successResponse(id: id, data: data))
    }

    /// Sends an error response.
    public func reject(code: Int, reason: String) {
        answer(.errorResponse(id: id, code: code, reason: reason))
    }

    /// Sends the error response an error maps to: a ``ProtooError`` keeps its code and reason,
    /// any other error answers 500 with its text.
    public func reject(_ error: any Error) {
        if let e = error as? ProtooError {
            reject(code: e.code, reason: e.reason)
        } else {
            reject(code: 500, reason: String(describing: error))
        }
    }

    func answer(_ message: Message) {
        guard !isAnswered else { return }
        isAnswered = true
        peer.send(message)
    }
}
