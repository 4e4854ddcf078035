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

/// A validated frame whose `data` is left as bytes of its text: what the engine dispatches.
/// `data` is parsed only when someone asks for it (``IncomingRequest/data``,
/// ``IncomingNotification/data``), so a message nobody reads costs one validating scan.
struct RawMessage {
    enum Kind {
        case request(id: RequestID, method: String)
        case successResponse(id: RequestID)
        case errorResponse(id: RequestID, code: Int, reason: String)
        case notification(method: String)
    }

    var kind: Kind
    /// The text and the byte range of a truthy `data` value; `nil` means `{}`.
    var data: RawJSON?

    /// Validates one frame with protoo's rules and locates its `data`.
    static func decode(_ text: String) throws(MessageDecodingError) -> RawMessage {
        var text = text
        let result = text.withUTF8 { bytes in
            Result { () throws(MessageDecodingError) -> (Kind, Range<Int>?) in try decode(bytes: bytes) }
        }
        let (kind, range) = try result.get()
        return RawMessage(kind: kind, data: range.map { RawJSON(text: text, range: $0) })
    }

    static func decode(bytes: UnsafeBufferPointer<UInt8>) throws(MessageDecodingError) -> (Kind, Range<Int>?) {
        if let canonical = decodeCanonical(bytes) { return canonical }
        return try decodeGeneral(bytes: bytes)
    }

    private static let requestHead: StaticString = #"{"request":true,"id":"#
    private static let responseHead: StaticString = #"{"response":true,"id":"#
    private static let notificationHead: StaticString = #"{"notification":true,"method":"#
    private static let methodInfix: StaticString = #","method":"#
    private static let okDataInfix: StaticString = #","ok":true,"data":"#
    private static let dataInfix: StaticString = #","data":"#

    /// The fast path for frames in exactly the layout ``Message/encode(into:)`` writes (protoo's
    /// own key order, no whitespace): the flags, id and method are read in place and only `data`
    /// is validated. Returns `nil` for anything else, including every invalid frame, which then
    /// goes through ``decodeGeneral(bytes:)`` (so verdicts and errors are the general path's).
    static func decodeCanonical(_ bytes: UnsafeBufferPointer<UInt8>) -> (Kind, Range<Int>?)? {
        // Helpers are methods on the cursor, not closures capturing it: a captured variable is
        // boxed and every access to it is checked for exclusivity at run time.
        var cursor = JSONParser.Cursor(bytes: bytes)
        if cursor.eat(notificationHead) {
            guard let m = cursor.canonicalMethod(), cursor.eat(dataInfix), let data = cursor.canonicalDataToEnd() else { return nil }
            return (.notification(method: m), data)
        }
        if cursor.eat(requestHead) {
            guard let i = cursor.canonicalID(), cursor.eat(methodInfix), let m = cursor.canonicalMethod(), cursor.eat(dataInfix),
                  let data = cursor.canonicalDataToEnd() else { return nil }
            return (.request(id: i, method: m), data)
        }
        if cursor.eat(responseHead) {
            guard let i = cursor.canonicalID(), cursor.eat(okDataInfix), let data = cursor.canonicalDataToEnd() else { return nil }
            return (.successResponse(id: i), data)
        }
        return nil
    }

    /// Any frame: every member read, protoo's rules applied (duplicates, truthiness, order).
    static func decodeGeneral(bytes: UnsafeBufferPointer<UInt8>) throws(MessageDecodingError) -> (Kind, Range<Int>?) {
        var cursor = JSONParser.Cursor(bytes: bytes)
        var fields = Message.Fields()
        var dataRange: Range<Int>?
        var dataTruthy = false
        do {
            cursor.skipWhitespace()
            guard cursor.index < bytes.count, bytes[cursor.index] == UInt8(ascii: "{") else {
                // Not an object: still tell invalid JSON apart from other values.
                _ = try JSONParser.parse(bytes: bytes)
                throw MessageDecodingError.notAnObject
            }
            cursor.index += 1
            cursor.skipWhitespace()
            if cursor.index < bytes.count, bytes[cursor.index] == UInt8(ascii: "}") {
                cursor.index += 1
            } else {
                members: while true {
                    cursor.skipWhitespace()
                    guard cursor.index < bytes.count, bytes[cursor.index] == UInt8(ascii: "\"") else {
                        throw cursor.error("expected a string key")
                    }
                    let field = try Self.field(&cursor)
                    cursor.skipWhitespace()
                    guard cursor.index < bytes.count, bytes[cursor.index] == UInt8(ascii: ":") else { throw cursor.error("expected ':'") }
                    cursor.index += 1
                    cursor.skipWhitespace()
                    switch field {
                    case .data:
                        let start = cursor.index
                        try cursor.validateValue(depth: 1)
                        dataRange = start..<cursor.index
                        dataTruthy = try Self.isTruthy(bytes, start..<cursor.index)
                    case .known(let key):
                        fields.set(key, try cursor.parseValue(depth: 1))
                    case .other:
                        try cursor.validateValue(depth: 1)
                    }
                    cursor.skipWhitespace()
                    guard cursor.index < bytes.count else { throw cursor.error("unexpected end of input") }
                    switch bytes[cursor.index] {
                    case UInt8(ascii: ","): cursor.index += 1
                    case UInt8(ascii: "}"): cursor.index += 1; break members
                    default: throw cursor.error("expected ',' or '}'")
                    }
                }
            }
            cursor.skipWhitespace()
            if cursor.index != bytes.count { throw cursor.error("unexpected data after the value") }
        } catch let error as JSONParseError {
            throw .invalidJSON(error)
        } catch let error as MessageDecodingError {
            throw error
        } catch {
            fatalError("unreachable: \(error)")
        }
        let range = dataTruthy ? dataRange : nil
        if fields.request?.isTruthy == true {
            guard case .string(let m)? = fields.method else { throw .invalidMethod }
            return (.request(id: try fields.requireID(), method: m), range)
        }
        if fields.response?.isTruthy == true {
            let i = try fields.requireID()
            if fields.ok?.isTruthy == true { return (.successResponse(id: i), range) }
            return (.errorResponse(id: i, code: fields.errorCode.flatMap(Message.errorCode) ?? 0,
                                   reason: fields.errorReason.map(Message.errorReason) ?? ""), nil)
        }
        if fields.notification?.isTruthy == true {
            guard case .string(let m)? = fields.method else { throw .invalidMethod }
            return (.notification(method: m), range)
        }
        throw .unknownKind
    }

    enum Field {
        case data
        /// One of the members protoo reads (request, response, notification, id, method, ok, errorCode, errorReason).
        case known(String)
        case other
    }

    /// The top-level keys protoo reads, as bytes: recognised without building a String.
    private static let knownKeys: [(bytes: [UInt8], name: String)] = [
        "request", "response", "notification", "id", "method", "ok", "errorCode", "errorReason",
    ].map { (Array($0.utf8), $0) }

    /// Reads a member key at the cursor (a string) and classifies it.
    static func field(_ cursor: inout JSONParser.Cursor) throws(JSONParseError) -> Field {
        let bytes = cursor.bytes
        let start = cursor.index + 1
        var end = start
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"), bytes[end] >= 0x20 { end += 1 }
        guard end < bytes.count, bytes[end] == UInt8(ascii: "\"") else {
            // Escapes, control characters or no end: the full string parser decides (and reports).
            let key = try cursor.parseString()
            if key == "data" { return .data }
            return knownKeys.contains { $0.name == key } ? .known(key) : .other
        }
        cursor.index = end + 1
        let length = end - start
        if length == 4, bytes[start] == UInt8(ascii: "d"), bytes[start + 1] == UInt8(ascii: "a"),
           bytes[start + 2] == UInt8(ascii: "t"), bytes[start + 3] == UInt8(ascii: "a") {
            return .data
        }
        for key in knownKeys where key.bytes.count == length {
            var same = true
            for i in 0..<length where bytes[start + i] != key.bytes[i] {
                same = false
                break
            }
            if same { return .known(key.name) }
        }
        return .other
    }

    /// JavaScript truthiness of an already validated value, mostly from its first byte.
    static func isTruthy(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) throws(JSONParseError) -> Bool {
        switch bytes[range.lowerBound] {
        case UInt8(ascii: "n"), UInt8(ascii: "f"): return false
        case UInt8(ascii: "\""): return range.count > 2
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try JSONParser.parse(bytes: UnsafeBufferPointer(rebasing: bytes[range])).isTruthy
        default: return true
        }
    }
}

/// A validated JSON value left as bytes of a frame's text, parsed on demand.
struct RawJSON {
    let text: String
    let range: Range<Int>

    /// `parse()[key]` without building the rest: the members are skipped over and only the value
    /// of the last `key` (as `JSON.parse` keeps the last duplicate) is parsed. `nil` for a missing
    /// key or a value that is not an object.
    func member(_ key: String) -> JSONValue? {
        guard let index = memberIndex() else { return parse()[key] }
        return index.value(key, in: self)
    }

    /// The top-level members' keys and byte ranges (one scan), or `nil` when the value is not an
    /// object; the index answers any number of ``member(_:)`` lookups without scanning again.
    func memberIndex() -> MemberIndex? {
        var text = text
        let range = range
        return text.withUTF8 { all -> MemberIndex? in
            let bytes = UnsafeBufferPointer(rebasing: all[range])
            var cursor = JSONParser.Cursor(bytes: bytes)
            cursor.skipWhitespace()
            guard cursor.index < bytes.count, bytes[cursor.index] == UInt8(ascii: "{") else { return MemberIndex(isObject: false) }
            cursor.index += 1
            var index = MemberIndex(isObject: true)
            do {
                cursor.skipWhitespace()
                if cursor.index < bytes.count, bytes[cursor.index] == UInt8(ascii: "}") { return index }
                while true {
                    cursor.skipWhitespace()
                    let k = try cursor.parseString()
                    cursor.skipWhitespace()
                    cursor.index += 1  // ':' (validated)
                    cursor.skipWhitespace()
                    let start = cursor.index
                    try cursor.validateValue(depth: 1)
                    index.members.append((k, (range.lowerBound + start)..<(range.lowerBound + cursor.index)))
                    cursor.skipWhitespace()
                    guard cursor.index < bytes.count else { return nil }
                    if bytes[cursor.index] == UInt8(ascii: "}") { break }
                    cursor.index += 1  // ','
                }
            } catch {
                return nil  // not reached for validated data; the full parse decides
            }
            return index
        }
    }

    /// Parses the bytes at `range` of the text (a validated value).
    func parse(at range: Range<Int>) -> JSONValue? {
        var text = text
        return text.withUTF8 { bytes in try? JSONParser.parse(bytes: UnsafeBufferPointer(rebasing: bytes[range])) }
    }

    /// Parses the value. It was validated when the frame was decoded, so this cannot fail.
    func parse() -> JSONValue {
        var text = text
        let range = range
        return text.withUTF8 { bytes in
            (try? JSONParser.parse(bytes: UnsafeBufferPointer(rebasing: bytes[range]))) ?? .emptyObject
        }
    }
}

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

extension JSONParser.Cursor {
    /// Moves past `literal` if the input continues with exactly it.
    @inline(__always)
    mutating func eat(_ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard bytes.count - index >= n else { return false }
        let p = literal.utf8Start
        for k in 0..<n where bytes[index + k] != p[k] { return false }
        index += n
        return true
    }

    /// An integer id, or `nil` (the general decoder then decides).
    mutating func canonicalID() -> RequestID? {
        guard index < bytes.count else { return nil }
        let c = bytes[index]
        guard c == UInt8(ascii: "-") || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")),
              case .int(let i)? = try? parseNumber() else { return nil }
        return Int(exactly: i)
    }

    /// A string method, or `nil`.
    mutating func canonicalMethod() -> String? {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
        return try? parseString()
    }

    /// A valid `data` value followed by the closing brace that ends the frame: `.some(range)` for
    /// truthy data, `.some(nil)` for falsy data (read as `{}`), `nil` otherwise.
    mutating func canonicalDataToEnd() -> Range<Int>?? {
        let start = index
        guard (try? validateValue(depth: 1)) != nil else { return nil }
        let range = start..<index
        guard index + 1 == bytes.count, bytes[index] == UInt8(ascii: "}"),
              let truthy = try? RawMessage.isTruthy(bytes, range) else { return nil }
        return .some(truthy ? range : nil)
    }
}

/// The top-level members of a JSON object left as bytes: keys and the ranges of their values.
struct MemberIndex {
    var isObject: Bool
    var members: [(key: String, range: Range<Int>)] = []

    /// The value of the last member named `key` (`JSON.parse` keeps the last duplicate).
    func value(_ key: String, in raw: RawJSON) -> JSONValue? {
        guard isObject else { return nil }
        for m in members.reversed() where m.key == key { return raw.parse(at: m.range) }
        return nil
    }

    /// Whether the data is an object with a member named `key`.
    func contains(_ key: String) -> Bool {
        isObject && members.contains { $0.key == key }
    }
}
