/// Why a frame is not a protoo message. protoo drops such frames silently; we log the reason.
public enum MessageDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalidJSON(JSONParseError)
    /// Valid JSON, but not an object (array, string, number, `null`, …).
    case notAnObject
    /// None of `request`, `response`, `notification` is truthy.
    case unknownKind
    /// A request or notification whose `method` is not a string.
    case invalidMethod
    /// A request or response whose `id` is not a number.
    case invalidID
    /// A number `id` that is not an integer: protoo never sends one and this engine does not track it.
    case nonIntegerID

    public var description: String {
        switch self {
        case .invalidJSON(let e): return "not JSON (\(e))"
        case .notAnObject: return "not a JSON object"
        case .unknownKind: return "missing request/response/notification field"
        case .invalidMethod: return "missing or non-string method"
        case .invalidID: return "missing or non-number id"
        case .nonIntegerID: return "id is not an integer"
        }
    }
}
