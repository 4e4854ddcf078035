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
    ///
    /// One pass: the top-level object's members go straight into the message's fields.
    public static func decode(_ text: String) throws(MessageDecodingError) -> Message {
        var text = text
        let result = text.withUTF8 { bytes in
            Result { () throws(MessageDecodingError) -> Message in try decode(bytes: bytes) }
        }
        return try result.get()
    }

    /// Decodes one frame's UTF-8 bytes (see ``decode(_:)-swift.type.method``).
    public static func decode(bytes: UnsafeBufferPointer<UInt8>) throws(MessageDecodingError) -> Message {
        var cursor = JSONParser.Cursor(bytes: bytes)
        var fields = Fields()
        do {
            cursor.skipWhitespace()
            guard cursor.index < bytes.count, bytes[cursor.index] == UInt8(ascii: "{") else {
                // Not an object: still tell invalid JSON apart from other values.
                _ = try JSONParser.parse(bytes: bytes)
                throw MessageDecodingError.notAnObject
            }
            try cursor.parseObjectMembers(depth: 1) { key, value in fields.set(key, value) }
            cursor.skipWhitespace()
            if cursor.index != bytes.count { throw cursor.error("unexpected data after the value") }
        } catch let error as JSONParseError {
            throw .invalidJSON(error)
        } catch let error as MessageDecodingError {
            throw error
        } catch {
            fatalError("unreachable: \(error)")
        }
        return try fields.message()
    }

    /// Decodes an already-parsed JSON value.
    public static func decode(_ value: JSONValue) throws(MessageDecodingError) -> Message {
        guard case .object(let object) = value else { throw .notAnObject }
        var fields = Fields()
        for member in object { fields.set(member.key, member.value) }
        return try fields.message()
    }

    /// The top-level members protoo looks at (last duplicate wins, as in `JSON.parse`).
    struct Fields {
        var request: JSONValue?, response: JSONValue?, notification: JSONValue?
        var id: JSONValue?, method: JSONValue?, data: JSONValue?, ok: JSONValue?
        var errorCode: JSONValue?, errorReason: JSONValue?

        @inline(__always) mutating func set(_ key: String, _ value: JSONValue) {
            switch key {
            case "request": request = value
            case "response": response = value
            case "notification": notification = value
            case "id": id = value
            case "method": method = value
            case "data": data = value
            case "ok": ok = value
            case "errorCode": errorCode = value
            case "errorReason": errorReason = value
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

        func message() throws(MessageDecodingError) -> Message {
            if request?.isTruthy == true {
                guard case .string(let m)? = method else { throw .invalidMethod }
                let i = try requireID()
                return .request(id: i, method: m, data: normalizedData())
            }
            if response?.isTruthy == true {
                let i = try requireID()
                if ok?.isTruthy == true { return .successResponse(id: i, data: normalizedData()) }
                return .errorResponse(id: i, code: errorCode.flatMap(Message.errorCode) ?? 0,
                                      reason: errorReason.map(Message.errorReason) ?? "")
            }
            if notification?.isTruthy == true {
                guard case .string(let m)? = method else { throw .invalidMethod }
                return .notification(method: m, data: normalizedData())
            }
            throw .unknownKind
        }
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
