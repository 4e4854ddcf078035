/// A method pattern: an exact name, or a glob where `*` stands for any run of characters
/// (`*`, `get*Stats`).
struct MethodPattern: Sendable, Hashable {
    let text: String

    func matches(_ method: String) -> Bool {
        guard text.utf8.contains(UInt8(ascii: "*")) else { return text == method }
        let parts = text.split(separator: "*", omittingEmptySubsequences: false)
        var rest = Substring(method)
        for (i, part) in parts.enumerated() {
            if i == 0 {
                guard rest.hasPrefix(part) else { return false }
                rest = rest.dropFirst(part.count)
            } else if i == parts.count - 1 {
                return part.isEmpty || rest.hasSuffix(part)
            } else if !part.isEmpty {
                guard let r = rest.range(of: part) else { return false }
                rest = rest[r.upperBound...]
            }
        }
        return rest.isEmpty
    }
}
