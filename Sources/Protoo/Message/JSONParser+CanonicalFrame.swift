/// The steps of the canonical-frame fast path of ``RawMessage/decode(_:)``: a frame laid out as
/// protoo-client writes it is read in one pass, anything else falls back to the general decoder.
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
