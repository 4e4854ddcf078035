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
