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
    /// The request's data (`{}` when absent), parsed from the frame on first access.
    public var data: JSONValue {
        if let parsedData { return parsedData }
        let value = rawData?.parse() ?? .emptyObject
        parsedData = value
        return value
    }
    private var parsedData: JSONValue?
    /// `data[key]`, without parsing the other members when `data` has not been read yet (a
    /// handler that needs two fields of a large request does not pay for the rest).
    public func member(_ key: String) -> JSONValue? {
        if let parsedData { return parsedData[key] }
        guard let rawData else { return nil }
        if memberIndex == nil { memberIndex = rawData.memberIndex() }
        guard let memberIndex else { return data[key] }
        return memberIndex.value(key, in: rawData)
    }
    /// Whether `data` has a member `key` (whatever its value, `null` included): the same as
    /// `member(key) != nil`, without parsing the value (a 4 kB `rtpCapabilities`, say).
    public func hasMember(_ key: String) -> Bool {
        if let parsedData { return parsedData[key] != nil }
        guard let rawData else { return false }
        if memberIndex == nil { memberIndex = rawData.memberIndex() }
        guard let memberIndex else { return data[key] != nil }
        return memberIndex.contains(key)
    }
    /// The data's top-level members, indexed on the first ``member(_:)``.
    private var memberIndex: MemberIndex?

    /// The peer that received the request.
    public let peer: Peer
    public private(set) var isAnswered = false
    private let rawData: RawJSON?
    /// When it arrived, if the context has an ``EngineObserver`` (which hears of the answer).
    var receivedAt: Instant?

    init(id: RequestID, method: String, rawData: RawJSON?, peer: Peer) {
        self.id = id
        self.method = method
        self.rawData = rawData
        self.peer = peer
    }

    /// Sends the success response.
    public func accept(_ data: JSONValue = .emptyObject) {
        answer(.successResponse(id: id, data: data))
    }

    /// Sends the success response with data that is already JSON text (see ``JSONText``).
    public func accept(_ data: JSONText) {
        guard !isAnswered else { return }
        isAnswered = true
        observe(errorCode: nil)
        guard !peer.isClosed else { return }
        let id = self.id
        peer.context.send(on: peer.transport) { PreEncoded.successResponse(id: id, data: data.bytes, into: &$0) }
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
        if case .errorResponse(_, let code, _) = message { observe(errorCode: code) } else { observe(errorCode: nil) }
        peer.send(message)
    }

    /// Tells the context's observer how the request was answered.
    private func observe(errorCode: Int?) {
        guard let receivedAt, let observer = peer.context.observer else { return }
        observer.requestAnswered(method: method, errorCode: errorCode, after: peer.context.now - receivedAt)
    }
}

/// A notification received from the remote side.
///
/// Its `data` stays as bytes of the frame until read: a handler that only looks at `method`
/// never pays for parsing. Each read of ``data`` parses again, so read it once.
public struct IncomingNotification {
    public let method: String
    let rawData: RawJSON?

    init(method: String, rawData: RawJSON?) {
        self.method = method
        self.rawData = rawData
    }

    /// The notification's data (`{}` when absent).
    public var data: JSONValue { rawData?.parse() ?? .emptyObject }
}

/// The data of a success response (`{}` when absent), left as bytes of the frame (already
/// validated) until read.
public struct ResponseData {
    let raw: RawJSON?

    init(raw: RawJSON?) { self.raw = raw }

    /// The data, parsed (each read parses again: read it once).
    public var value: JSONValue { raw?.parse() ?? .emptyObject }

    /// `value[key]`, parsing only that member.
    public subscript(key: String) -> JSONValue? { raw?.member(key) }
}
