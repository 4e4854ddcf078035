/// Compact JSON output, byte-compatible with `JSON.stringify` for the values protoo carries.
public enum JSONWriter {
    public static func string(_ value: JSONValue) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        write(value, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the compact encoding of `value` to `out`.
    public static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null: appendASCII("null", &out)
        case .bool(let b): appendASCII(b ? "true" : "false", &out)
        case .int(let i): writeInt(i, into: &out)
        case .double(let d): writeDouble(d, into: &out)
        case .string(let s): writeString(s, into: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            var first = true
            for v in a {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                write(v, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            var first = true
            for m in o {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                writeString(m.key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(m.value, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    @inline(__always)
    static func appendASCII(_ s: StaticString, _ out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    static func writeInt(_ value: Int64, into out: inout [UInt8]) {
        if value >= 0 && value < 10 {
            out.append(UInt8(ascii: "0") &+ UInt8(value))
            return
        }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { raw in
            repeat {
                raw[19 - count] = UInt8(ascii: "0") &+ UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            if value < 0 { out.append(UInt8(ascii: "-")) }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[(20 - count)...]))
        }
    }

    static func writeDouble(_ value: Double, into out: inout [UInt8]) {
        guard value.isFinite else {
            // JSON.stringify writes NaN and Infinity as null.
            appendASCII("null", &out)
            return
        }
        out.append(contentsOf: ecmaScriptString(value).utf8)
    }

    /// The number as JavaScript's `JSON.stringify` (ECMAScript Number::toString) writes it, so
    /// that this server's messages match protoo-server's byte for byte: the shortest digits that
    /// read back as the same double (Swift's `description` finds them), written as a plain
    /// decimal for 1e-7 ≤ |x| < 1e21 (`1`, `0.00001`, `100000000000000000000`), otherwise with an
    /// exponent that is not zero-padded (`1e-7`, `1.5e+300`); -0 is `0`.
    static func ecmaScriptString(_ value: Double) -> String {
        if value == 0 { return "0" }
        var text = value.magnitude.description
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        var digits = Array(parts[0].utf8) + (parts.count > 1 ? Array(parts[1].utf8) : [])
        // value = 0.d1 d2 … dk × 10^n
        var n = parts[0].utf8.count + exponent
        while digits.count > 1, digits.first == UInt8(ascii: "0") { digits.removeFirst(); n -= 1 }
        while digits.count > 1, digits.last == UInt8(ascii: "0") { digits.removeLast() }
        let k = digits.count
        let d = String(decoding: digits, as: UTF8.self)
        let sign = value < 0 ? "-" : ""
        if k <= n, n <= 21 { return sign + d + String(repeating: "0", count: n - k) }
        if 0 < n, n <= 21 { return sign + String(d.prefix(n)) + "." + String(d.dropFirst(n)) }
        if -6 < n, n <= 0 { return sign + "0." + String(repeating: "0", count: -n) + d }
        let e = n - 1
        let mantissa = k == 1 ? d : String(d.prefix(1)) + "." + String(d.dropFirst())
        return sign + mantissa + "e" + (e < 0 ? "-" : "+") + String(e.magnitude)
    }

    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Native strings are contiguous UTF-8: scan them in place, 8 bytes at a time.
        let done: Void? = s.utf8.withContiguousStorageIfAvailable { bytes in writeStringBody(bytes, into: &out) }
        if done == nil {
            var copy = s
            copy.withUTF8 { writeStringBody($0, into: &out) }
        }
        out.append(UInt8(ascii: "\""))
    }

    @inline(__always)
    static func writeStringBody(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        guard let base = bytes.baseAddress else { return }
        let count = bytes.count
        var runStart = 0
        var i = JSONScan.firstSpecial(base, from: 0, count: count)
        while i < count {
            let c = base[i]
            if runStart < i { out.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: i - runStart)) }
            runStart = i + 1
            switch c {
            case UInt8(ascii: "\""): appendASCII("\\\"", &out)
            case UInt8(ascii: "\\"): appendASCII("\\\\", &out)
            case 0x0A: appendASCII("\\n", &out)
            case 0x0D: appendASCII("\\r", &out)
            case 0x09: appendASCII("\\t", &out)
            case 0x08: appendASCII("\\b", &out)
            case 0x0C: appendASCII("\\f", &out)
            default:
                let hex: StaticString = "0123456789abcdef"
                let h = hex.utf8Start
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, h[Int(c >> 4)], h[Int(c & 0xF)]])
            }
            i = JSONScan.firstSpecial(base, from: i + 1, count: count)
        }
        if runStart < count { out.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: count - runStart)) }
    }
}
