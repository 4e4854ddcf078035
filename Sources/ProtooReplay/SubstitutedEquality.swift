#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Protoo

/// Decides without parsing that a recorded message and a live one are equal under the learned
/// substitutions: byte for byte the same, except string values whose recorded text has the live
/// text as its substitution. Replays with rules meet this all the time (a `consumerPaused` whose
/// `consumerId` was learned from the `newConsumer` before it).
///
/// `true` only when the tree diff (``MessageDiff``) would find no difference and learn nothing; on
/// anything it does not handle (escapes, whitespace or key order that differ, other numbers) it
/// says `false`, and the message is diffed as before. The recorded text must be valid JSON (the
/// diff reports texts it cannot parse); the live one then is too: outside strings it has the same
/// bytes, and its strings hold no escape and no control character.
enum SubstitutedEquality {
    static func holds(_ expected: String, _ actual: String, under substitutions: Substitutions) -> Bool {
        expected.utf8.withContiguousStorageIfAvailable { e in
            actual.utf8.withContiguousStorageIfAvailable { a in
                holds(e, a, under: substitutions)
            } ?? false
        } ?? false
    }

    static func holds(_ e: UnsafeBufferPointer<UInt8>, _ a: UnsafeBufferPointer<UInt8>, under substitutions: Substitutions) -> Bool {
        var i = 0, j = 0
        while i < e.count, j < a.count {
            let c = e[i]
            guard c == UInt8(ascii: "\"") else {
                guard c == a[j] else { return false }
                i += 1
                j += 1
                continue
            }
            guard a[j] == UInt8(ascii: "\""), let ie = stringEnd(e, from: i + 1), let ja = stringEnd(a, from: j + 1) else { return false }
            let es = UnsafeBufferPointer(rebasing: e[(i + 1)..<ie]), live = UnsafeBufferPointer(rebasing: a[(j + 1)..<ja])
            let isKey = ie + 1 < e.count && e[ie + 1] == UInt8(ascii: ":")
            if isKey || !substitutions.mayHave(recordedLength: es.count) {
                guard equal(es, live) else { return false }  // keys are never substituted
            } else {
                // A value the diff looks up: its substitution, or itself when it has none.
                let recorded = String(decoding: es, as: UTF8.self)
                if let expectedLive = substitutions.map[recorded] {
                    guard expectedLive.utf8.elementsEqual(live) else { return false }
                } else {
                    guard equal(es, live) else { return false }
                }
            }
            i = ie + 1
            j = ja + 1
        }
        return i == e.count && j == a.count && JSONParser.isValid(e)
    }

    /// The index of the closing quote of a string starting at `start`; `nil` for a string with an
    /// escape (its decoded text is not its bytes), a control character, or no end.
    private static func stringEnd(_ b: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        var k = start
        while k < b.count {
            let c = b[k]
            if c == UInt8(ascii: "\"") { return k }
            if c == UInt8(ascii: "\\") || c < 0x20 { return nil }
            k += 1
        }
        return nil
    }

    private static func equal(_ x: UnsafeBufferPointer<UInt8>, _ y: UnsafeBufferPointer<UInt8>) -> Bool {
        x.count == y.count && (x.count == 0 || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0)
    }
}
