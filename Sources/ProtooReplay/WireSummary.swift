#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Protoo

/// What the replayer needs to know about a wire message without building its JSON tree: its kind,
/// id and method. Reads protoo's canonical prefixes directly and parses only when they are absent.
package struct WireSummary {
    package enum Kind { case request, response, notification, invalid }

    package var kind: Kind
    package var id: RequestID
    package var method: String

    static let invalid = WireSummary(kind: .invalid, id: 0, method: "")

    package static func scan(_ text: String) -> WireSummary {
        var text = text
        if let fast = text.withUTF8({ fastScan($0) }) { return fast }
        guard let message = try? Message.decode(text) else { return .invalid }
        switch message {
        case .request(let id, let method, _): return WireSummary(kind: .request, id: id, method: method)
        case .successResponse(let id, _), .errorResponse(let id, _, _): return WireSummary(kind: .response, id: id, method: "")
        case .notification(let method, _): return WireSummary(kind: .notification, id: 0, method: method)
        }
    }

    /// `true` when `text` starts the way protoo writes a notification or a response: not a
    /// request, so nothing has to be read from it unless it is compared field by field.
    static func isCanonicalNonRequest(_ text: String) -> Bool {
        text.utf8.withContiguousStorageIfAvailable { isCanonicalNonRequest($0) } ?? false
    }

    /// ``isCanonicalNonRequest(_:)`` on a message's bytes.
    static func isCanonicalNonRequest(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        Scanner(b: bytes).startsWith(notificationPrefix) || Scanner(b: bytes).startsWith(responsePrefix)
    }

    /// The method of a notification written the way protoo writes one; `nil` for anything else.
    static func canonicalNotificationMethod(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var s = Scanner(b: bytes)
        return s.eat(notificationPrefix) ? s.string() : nil
    }

    private static let requestPrefix: StaticString = #"{"request":true,"id":"#
    private static let responsePrefix: StaticString = #"{"response":true,"id":"#
    private static let notificationPrefix: StaticString = #"{"notification":true,"method":""#
    private static let methodInfix: StaticString = #","method":""#

    /// A position in a message's bytes (methods, not closures capturing the index: a captured
    /// variable is boxed and checked for exclusivity at run time on every access).
    private struct Scanner {
        let b: UnsafeBufferPointer<UInt8>
        var i = 0

        mutating func eat(_ prefix: StaticString) -> Bool {
            guard startsWith(prefix) else { return false }
            i += prefix.utf8CodeUnitCount
            return true
        }

        func startsWith(_ prefix: StaticString) -> Bool {
            let n = prefix.utf8CodeUnitCount
            guard b.count - i >= n else { return false }
            return memcmp(b.baseAddress! + i, prefix.utf8Start, n) == 0
        }

        mutating func integer() -> Int? {
            var negative = false
            if i < b.count, b[i] == UInt8(ascii: "-") { negative = true; i += 1 }
            let start = i
            var v = 0
            while i < b.count, b[i] >= 48, b[i] <= 57, i - start < 18 { v = v * 10 + Int(b[i] - 48); i += 1 }
            guard i > start, i < b.count, b[i] == UInt8(ascii: ",") || b[i] == UInt8(ascii: "}") else { return nil }
            return negative ? -v : v
        }

        mutating func string() -> String? {
            let start = i
            while i < b.count, b[i] != UInt8(ascii: "\""), b[i] != UInt8(ascii: "\\") { i += 1 }
            guard i < b.count, b[i] == UInt8(ascii: "\"") else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
        }
    }

    /// `nil` when the text does not start with the exact prefix protoo writes.
    private static func fastScan(_ b: UnsafeBufferPointer<UInt8>) -> WireSummary? {
        var s = Scanner(b: b)
        if s.eat(requestPrefix) {
            guard let id = s.integer(), s.eat(methodInfix), let m = s.string() else { return nil }
            return WireSummary(kind: .request, id: id, method: m)
        }
        if s.eat(responsePrefix) {
            guard let id = s.integer() else { return nil }
            return WireSummary(kind: .response, id: id, method: "")
        }
        if s.eat(notificationPrefix) {
            guard let m = s.string() else { return nil }
            return WireSummary(kind: .notification, id: 0, method: m)
        }
        return nil
    }
}
