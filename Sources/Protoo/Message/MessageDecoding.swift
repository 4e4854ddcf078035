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

extension Message {
    /// Decodes one frame's text with protoo's rules: flags are tested for JavaScript truthiness,
    /// a falsy or missing `data` reads as `{}`, anything malformed is an error (the caller drops it).
    public static func decode(_ text: String) throws(MessageDecodingError) -> Message {
        let value: JSONValue
        do {
            value = try JSONParser.parse(text)
        } catch {
            throw .invalidJSON(error)
        }
        return try decode(value)
    }

    /// Decodes an already-parsed JSON value.
    public static func decode(_ value: JSONValue) throws(MessageDecodingError) -> Message {
        guard case .object(let object) = value else { throw .notAnObject }
        // Read the fields in one pass over the members.
        var request: JSONValue?, response: JSONValue?, notification: JSONValue?
        var id: JSONValue?, method: JSONValue?, data: JSONValue?, ok: JSONValue?
        var errorCode: JSONValue?, errorReason: JSONValue?
        for member in object {
            switch member.key {
            case "request": request = member.value
            case "response": response = member.value
            case "notification": notification = member.value
            case "id": id = member.value
            case "method": method = member.value
            case "data": data = member.value
            case "ok": ok = member.value
            case "errorCode": errorCode = member.value
            case "errorReason": errorReason = member.value
            default: break
            }
        }
        func normalizedData() -> JSONValue {
            if let data, data.isTruthy { return data }
            return .emptyObject
        }
        func requireID() throws(MessageDecodingError) -> RequestID {
            guard let id, id.isNumber else { throw .invalidID }
            guard let integer = id.intValue else { throw .nonIntegerID }
            return integer
        }
        if request?.isTruthy == true {
            guard case .string(let m)? = method else { throw .invalidMethod }
            let i = try requireID()
            return .request(id: i, method: m, data: normalizedData())
        }
        if response?.isTruthy == true {
            let i = try requireID()
            if ok?.isTruthy == true { return .successResponse(id: i, data: normalizedData()) }
            return .errorResponse(id: i, code: errorCode.flatMap(Self.errorCode) ?? 0,
                                  reason: errorReason.map(Self.errorReason) ?? "")
        }
        if notification?.isTruthy == true {
            guard case .string(let m)? = method else { throw .invalidMethod }
            return .notification(method: m, data: normalizedData())
        }
        throw .unknownKind
    }

    static func errorCode(_ value: JSONValue) -> Int? {
        switch value {
        case .int(let i): return Int(exactly: i)
        case .double(let d) where d.isFinite && d.magnitude < 9e15: return Int(d)
        default: return nil
        }
    }

    static func errorReason(_ value: JSONValue) -> String {
        if case .string(let s) = value { return s }
        if case .null = value { return "" }
        return JSONWriter.string(value)
    }
}
