/// The validator's fast path: one loop over a value, no recursion, no error values.
///
/// It accepts only what ``JSONParser/Cursor/skipValue(depth:)`` accepts and ends at the same byte.
/// Anything it does not handle itself (an escape in a string, nesting past 62 levels, and every
/// error) makes it answer `nil`, and the caller runs the exact validator from the same start for
/// the verdict and the error. Received frames are nearly always valid and escape-free, so the
/// exact validator rarely runs.
enum JSONFastValidator {
    /// The index just past the JSON value at `start` (no leading whitespace), or `nil` when the
    /// exact validator must decide. `depth` is the nesting the value sits at (see
    /// ``JSONParser/maximumDepth``).
    static func end(of base: UnsafePointer<UInt8>, count: Int, from start: Int, depth: Int) -> Int? {
        // Open containers as bits, innermost lowest: 1 for an object, 0 for an array.
        var open: UInt64 = 0
        var levels = 0
        let maxLevels = min(62, JSONParser.maximumDepth - depth)
        var i = start

        @inline(__always) func skipSpace(_ i: inout Int) {
            while i < count {
                switch base[i] {
                case 0x20, 0x0A, 0x0D, 0x09: i += 1
                default: return
                }
            }
        }
        /// Moves past a string whose opening quote is at `i`; `false` for an escape or an error.
        @inline(__always) func string(_ i: inout Int) -> Bool {
            let at = JSONScan.firstSpecial(base, from: i + 1, count: count)
            guard at < count, base[at] == UInt8(ascii: "\"") else { return false }
            i = at + 1
            return true
        }
        @inline(__always) func digits(_ i: inout Int) -> Bool {
            let first = i
            while i < count, base[i] &- UInt8(ascii: "0") < 10 { i += 1 }
            return i > first
        }
        /// The number grammar of ``JSONParser/Cursor/skipNumber()``.
        func number(_ i: inout Int) -> Bool {
            if base[i] == UInt8(ascii: "-") { i += 1 }
            guard i < count else { return false }
            if base[i] == UInt8(ascii: "0") {
                i += 1
                if i < count, base[i] &- UInt8(ascii: "0") < 10 { return false }
            } else if !digits(&i) {
                return false
            }
            if i < count, base[i] == UInt8(ascii: ".") {
                i += 1
                guard digits(&i) else { return false }
            }
            if i < count, base[i] | 0x20 == UInt8(ascii: "e") {
                i += 1
                if i < count, base[i] == UInt8(ascii: "+") || base[i] == UInt8(ascii: "-") { i += 1 }
                guard digits(&i) else { return false }
            }
            return true
        }
        @inline(__always) func literal(_ i: inout Int, _ word: UInt32, length: Int) -> Bool {
            guard i + 4 <= count,
                  UnsafeRawPointer(base + i).loadUnaligned(as: UInt32.self) == UInt32(littleEndian: word) else { return false }
            if length == 5 {
                guard i + 5 <= count, base[i + 4] == UInt8(ascii: "e") else { return false }
            }
            i += length
            return true
        }
        /// Moves past `"key"` and `:` at `i` (whitespace allowed around the colon).
        @inline(__always) func key(_ i: inout Int) -> Bool {
            guard i < count, base[i] == UInt8(ascii: "\""), string(&i) else { return false }
            skipSpace(&i)
            guard i < count, base[i] == UInt8(ascii: ":") else { return false }
            i += 1
            skipSpace(&i)
            return true
        }

        while true {
            // A value starts at i.
            guard i < count else { return nil }
            switch base[i] {
            case UInt8(ascii: "\""):
                guard string(&i) else { return nil }
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
                guard number(&i) else { return nil }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let isObject = base[i] == UInt8(ascii: "{")
                guard levels < maxLevels else { return nil }
                i += 1
                skipSpace(&i)
                guard i < count else { return nil }
                if base[i] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    i += 1
                } else {
                    open = open << 1 | (isObject ? 1 : 0)
                    levels += 1
                    if isObject { guard key(&i) else { return nil } }
                    continue
                }
            case UInt8(ascii: "t"): guard literal(&i, 0x6575_7274, length: 4) else { return nil }  // "true"
            case UInt8(ascii: "n"): guard literal(&i, 0x6C6C_756E, length: 4) else { return nil }  // "null"
            case UInt8(ascii: "f"): guard literal(&i, 0x736C_6166, length: 5) else { return nil }  // "false"
            default: return nil
            }
            // After a value: close containers until one continues with a comma, or the value ends.
            while true {
                if levels == 0 { return i }
                skipSpace(&i)
                guard i < count else { return nil }
                let c = base[i]
                let inObject = open & 1 == 1
                if c == UInt8(ascii: ",") {
                    i += 1
                    skipSpace(&i)
                    if inObject { guard key(&i) else { return nil } }
                    break
                }
                guard c == (inObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else { return nil }
                i += 1
                open >>= 1
                levels -= 1
            }
        }
    }
}

extension JSONParser.Cursor {
    /// ``skipValue(depth:)`` through the fast path: the same verdicts, end and errors, since any
    /// doubt sends it to the exact validator from the same start.
    @inline(__always)
    mutating func validateValue(depth: Int) throws(JSONParseError) {
        if let base = bytes.baseAddress, index < bytes.count,
           let end = JSONFastValidator.end(of: base, count: bytes.count, from: index, depth: depth) {
            index = end
            return
        }
        try skipValue(depth: depth)
    }
}
