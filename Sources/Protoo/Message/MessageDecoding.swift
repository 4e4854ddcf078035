extension Message {
    /// Decodes one frame's text with protoo's rules: flags are tested for JavaScript truthiness,
    /// a falsy or missing `data` reads as `{}`, anything malformed is an error (the caller drops it).
    public static func decode(_ text: String) throws(MessageDecodingError) -> Message {
        let raw = try RawMessage.decode(text)
        let data = raw.data?.parse() ?? .emptyObject
        switch raw.kind {
        case .request(let id, let method): return .request(id: id, method: method, data: data)
        case .successResponse(let id): return .successResponse(id: id, data: data)
        case .errorResponse(let id, let code, let reason): return .errorResponse(id: id, code: code, reason: reason)
        case .notification(let method): return .notification(method: method, data: data)
        }
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
