import Protoo

/// Values the server generated differently live than in the recording: recorded string → live
/// string, learned at `capture` paths. Applied to whole string values only, never to substrings
/// or object keys.
package struct Substitutions {
    package init() {}
    private(set) var map: [String: String] = [:]
    /// Bit `n` set: some recorded string of `n` UTF-8 bytes has a substitution (bit 63: 63 or more).
    private(set) var recordedLengths: UInt64 = 0

    package var isEmpty: Bool { map.isEmpty }
    package var count: Int { map.count }

    package mutating func learn(recorded: String, live: String) {
        guard recorded != live else { return }
        map[recorded] = live
        recordedLengths |= 1 << UInt64(min(recorded.utf8.count, 63))
    }

    /// `false` when no recorded string of this length has a substitution (no lookup needed).
    func mayHave(recordedLength n: Int) -> Bool {
        recordedLengths & (1 << UInt64(min(n, 63))) != 0
    }

    /// The live counterpart of a recorded string.
    package func live(for recorded: String) -> String { map[recorded] ?? recorded }

    /// `value` with every learned recorded string replaced; `changed` tells whether any was.
    package func apply(_ value: JSONValue, changed: inout Bool) -> JSONValue {
        switch value {
        case .string(let s):
            guard let live = map[s] else { return value }
            changed = true
            return .string(live)
        case .array(let items):
            var out = items
            for i in out.indices { out[i] = apply(out[i], changed: &changed) }
            return .array(out)
        case .object(let object):
            var out = object
            for m in object {
                if case .string = m.value { out[m.key] = apply(m.value, changed: &changed) }
                else if case .array = m.value { out[m.key] = apply(m.value, changed: &changed) }
                else if case .object = m.value { out[m.key] = apply(m.value, changed: &changed) }
            }
            return .object(out)
        default:
            return value
        }
    }
}
