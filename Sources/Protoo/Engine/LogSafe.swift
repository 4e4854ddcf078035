import Logging

/// Text from the network made safe for a log line: a client-supplied peer id, method, reason or
/// header can hold a newline (`peerId=x%0A2026-… critical …`) that would forge a line of its own.
/// Control characters (C0, DEL, C1), the Unicode line and paragraph separators and the bidi
/// overrides are written escaped (`\n`, `\r`, `\t`, `\u{1B}`); anything else is kept as it is,
/// the backslash included, so that escaping twice (the library, then the command line's handler)
/// changes nothing more.
public enum LogSafe {
    /// `text` with every character that could break or disguise a log line escaped.
    public static func text(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if needsEscape(scalar) {
                    out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    static func needsEscape(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }
}

extension Logger.MetadataValue {
    /// A value that came from the network (a peer id, a method, a reason, a header), escaped with
    /// ``LogSafe/text(_:)``.
    public static func untrusted(_ text: String) -> Logger.MetadataValue { .string(LogSafe.text(text)) }
}
