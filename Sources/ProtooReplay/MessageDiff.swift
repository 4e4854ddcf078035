import Protoo
import ProtooTrace

/// Structural comparison of a recorded and a live message under the rules: reports differing
/// paths, skips volatile values and learns substitutions at `capture` paths.
package struct MessageDiff {
    /// The rules' paths that apply to this message's method (filtered once per message).
    private let capturePaths: [JSONPathPattern]
    private let ignorePaths: [JSONPathPattern]
    package var substitutions: Substitutions
    /// Strings the recorded clients sent before (in messages or connection URLs): a value at a
    /// capture path that is one of these did not come from the server, so it is compared.
    private let clientValues: Set<String>
    package var differences: [ReplayDifference] = []
    /// Report a captured value whose recorded string already stands for another live one (live
    /// replay, where a value may be learned from its first sighting before its capture).
    package var reportsConflictingCaptures = false
    /// Reports stop after this many differences.
    static let limit = 20

    init(rules: ReplayRules, method: String, substitutions: Substitutions, clientValues: Set<String> = []) {
        let paths = Self.paths(rules: rules, method: method)
        self.init(capturePaths: paths.capture, ignorePaths: paths.ignore, substitutions: substitutions, clientValues: clientValues)
    }

    /// With the rules' paths for the message's method already filtered (``paths(rules:method:)``).
    package init(capturePaths: [JSONPathPattern], ignorePaths: [JSONPathPattern], substitutions: Substitutions,
         clientValues: Set<String> = []) {
        self.capturePaths = capturePaths
        self.ignorePaths = ignorePaths
        self.substitutions = substitutions
        self.clientValues = clientValues
    }

    /// The capture and ignore paths of the rules that apply to `method`.
    package static func paths(rules: ReplayRules, method: String) -> (capture: [JSONPathPattern], ignore: [JSONPathPattern]) {
        (rules.capture.filter { MethodPattern(text: $0.method).matches(method) }.map(\.path),
         rules.ignore.filter { MethodPattern(text: $0.method).matches(method) }.map(\.path))
    }

    /// Compares, at `path`, the recorded `expected` (substitutions applied to its strings) with `actual`.
    package mutating func compare(_ expected: JSONValue, _ actual: JSONValue, at path: JSONPath) {
        current = path.components
        compareHere(expected, actual)
    }

    /// The path being compared: one array grown and shrunk as the walk goes down and up, instead
    /// of a new path per value.
    private var current: [JSONPathComponent] = []

    private mutating func compareHere(_ expected: JSONValue, _ actual: JSONValue) {
        guard differences.count < Self.limit else { return }
        if !current.isEmpty {
            if capturePaths.contains(where: { $0.matches(current[...]) }),
               !{ if case .string(let e) = expected { return clientValues.contains(e) } else { return false } }() {
                if case .string(let e) = expected, case .string(let a) = actual {
                    let known = substitutions.live(for: e)
                    if reportsConflictingCaptures, known != e, known != a {
                        reportHere(.string(known), actual)
                        return
                    }
                    substitutions.learn(recorded: e, live: a)
                }
                return
            }
            if ignorePaths.contains(where: { $0.matches(current[...]) }) { return }
            // Redacted when recorded (`--record-redact-body`): the recording does not know it.
            if case .string(TraceRedactor.placeholder) = expected { return }
        }
        switch (expected, actual) {
        case (.object(let e), .object(let a)):
            for m in e {
                current.append(.key(m.key))
                if let av = a[m.key] { compareHere(m.value, av) } else { reportHere(m.value, nil) }
                current.removeLast()
            }
            for m in a where e[m.key] == nil {
                current.append(.key(m.key))
                reportHere(nil, m.value)
                current.removeLast()
            }
        case (.array(let e), .array(let a)):
            for i in 0..<max(e.count, a.count) {
                current.append(.index(i))
                if i < e.count, i < a.count { compareHere(e[i], a[i]) }
                else if i < e.count { reportHere(e[i], nil) }
                else { reportHere(nil, a[i]) }
                current.removeLast()
            }
        case (.string(let e), .string(let a)):
            if substitutions.live(for: e) != a { reportHere(expected, actual) }
        default:
            if expected != actual { reportHere(expected, actual) }
        }
    }

    private mutating func reportHere(_ e: JSONValue?, _ a: JSONValue?) {
        report(JSONPath(current), e, a)
    }

    private mutating func report(_ path: JSONPath, _ e: JSONValue?, _ a: JSONValue?) {
        guard differences.count < Self.limit else { return }
        var changed = false
        differences.append(ReplayDifference(path: path, expected: e.map { substitutions.apply($0, changed: &changed) }, actual: a))
    }
}
