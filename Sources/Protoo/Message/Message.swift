/// A protoo request id: an integer the sender chooses (protoo draws it in 0...10,000,000).
public typealias RequestID = Int

/// One protoo message: the four kinds of the wire protocol.
public enum Message: Sendable, Hashable {
    /// `{"request":true,"id":…,"method":…,"data":{…}}`
    case request(id: RequestID, method: String, data: JSONValue)
    /// `{"response":true,"id":…,"ok":true,"data":{…}}`
    case successResponse(id: RequestID, data: JSONValue)
    /// `{"response":true,"id":…,"errorCode":…,"errorReason":…}`
    case errorResponse(id: RequestID, code: Int, reason: String)
    /// `{"notification":true,"method":…,"data":{…}}`
    case notification(method: String, data: JSONValue)

    /// The method of a request or notification.
    public var method: String? {
        switch self {
        case .request(_, let m, _), .notification(let m, _): return m
        case .successResponse, .errorResponse: return nil
        }
    }

    /// The id of a request or response.
    public var id: RequestID? {
        switch self {
        case .request(let id, _, _), .successResponse(let id, _), .errorResponse(let id, _, _): return id
        case .notification: return nil
        }
    }

    /// A short name of the kind, for logs and statistics.
    public var kind: Kind {
        switch self {
        case .request: return .request
        case .successResponse, .errorResponse: return .response
        case .notification: return .notification
        }
    }

    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case request, response, notification
    }
}
