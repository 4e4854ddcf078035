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
