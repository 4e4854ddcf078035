import Protoo

/// What the replayer needs to know about a wire message without building its JSON tree: its kind,
/// id and method. Reads protoo's canonical prefixes directly and parses only when they are absent.
struct WireSummary {
    enum Kind { case request, response, notification, invalid }

    var kind: Kind
    var id: RequestID
    var method: String

    static let invalid = WireSummary(kind: .invalid, id: 0, method: "")

    static func scan(_ text: String) -> WireSummary {
        var text = text
        if let fast = text.withUTF8({ fastScan($0) }) { return fast }
        guard let message = try? Message.decode(text) else { return .invalid }
        switch message {
        case .request(let id, let method, _): return WireSummary(kind: .request, id: id, method: method)
        case .successResponse(let id, _), .errorResponse(let id, _, _): return WireSummary(kind: .response, id: id, method: "")
        case .notification(let method, _): return WireSummary(kind: .notification, id: 0, method: method)
        }
    }

    private static let requestPrefix = Array(#"{"request":true,"id":"#.utf8)
    private static let responsePrefix = Array(#"{"response":true,"id":"#.utf8)
    private static let notificationPrefix = Array(#"{"notification":true,"method":""#.utf8)
    private static let methodInfix = Array(#","method":""#.utf8)

    /// `nil` when the text does not start with the exact prefix protoo writes.
    private static func fastScan(_ b: UnsafeBufferPointer<UInt8>) -> WireSummary? {
        var i = 0
        func eat(_ prefix: [UInt8]) -> Bool {
            guard b.count - i >= prefix.count else { return false }
            for (k, c) in prefix.enumerated() where b[i + k] != c { return false }
            i += prefix.count
            return true
        }
        func integer() -> Int? {
            var negative = false
            if i < b.count, b[i] == UInt8(ascii: "-") { negative = true; i += 1 }
            let start = i
            var v = 0
            while i < b.count, b[i] >= 48, b[i] <= 57, i - start < 18 { v = v * 10 + Int(b[i] - 48); i += 1 }
            guard i > start, i < b.count, b[i] == UInt8(ascii: ",") || b[i] == UInt8(ascii: "}") else { return nil }
            return negative ? -v : v
        }
        func string() -> String? {
            let start = i
            while i < b.count, b[i] != UInt8(ascii: "\""), b[i] != UInt8(ascii: "\\") { i += 1 }
            guard i < b.count, b[i] == UInt8(ascii: "\"") else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
        }
        if eat(requestPrefix) {
            guard let id = integer(), eat(methodInfix), let m = string() else { return nil }
            return WireSummary(kind: .request, id: id, method: m)
        }
        if eat(responsePrefix) {
            guard let id = integer() else { return nil }
            return WireSummary(kind: .response, id: id, method: "")
        }
        if eat(notificationPrefix) {
            guard let m = string() else { return nil }
            return WireSummary(kind: .notification, id: 0, method: m)
        }
        return nil
    }
}
