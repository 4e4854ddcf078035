import Protoo

/// Structural comparison of a recorded and a live message under the rules: reports differing
/// paths, skips volatile values and learns substitutions at `capture` paths.
struct MessageDiff {
    /// The rules' paths that apply to this message's method (filtered once per message).
    private let capturePaths: [JSONPathPattern]
    private let ignorePaths: [JSONPathPattern]
    var substitutions: Substitutions
    var differences: [ReplayDifference] = []
    /// Reports stop after this many differences.
    static let limit = 20

    init(rules: ReplayRules, method: String, substitutions: Substitutions) {
        capturePaths = rules.capture.filter { MethodPattern(text: $0.method).matches(method) }.map(\.path)
        ignorePaths = rules.ignore.filter { MethodPattern(text: $0.method).matches(method) }.map(\.path)
        self.substitutions = substitutions
    }

    /// Compares, at `path`, the recorded `expected` (substitutions applied to its strings) with `actual`.
    mutating func compare(_ expected: JSONValue, _ actual: JSONValue, at path: JSONPath) {
        guard differences.count < Self.limit else { return }
        if !path.components.isEmpty {
            if capturePaths.contains(where: { $0.matches(path) }) {
                if case .string(let e) = expected, case .string(let a) = actual { substitutions.learn(recorded: e, live: a) }
                return
            }
            if ignorePaths.contains(where: { $0.matches(path) }) { return }
        }
        switch (expected, actual) {
        case (.object(let e), .object(let a)):
            for m in e {
                let p = path.appending(.key(m.key))
                if let av = a[m.key] { compare(m.value, av, at: p) } else { report(p, m.value, nil) }
            }
            for m in a where e[m.key] == nil { report(path.appending(.key(m.key)), nil, m.value) }
        case (.array(let e), .array(let a)):
            for i in 0..<max(e.count, a.count) {
                let p = path.appending(.index(i))
                if i < e.count, i < a.count { compare(e[i], a[i], at: p) }
                else if i < e.count { report(p, e[i], nil) }
                else { report(p, nil, a[i]) }
            }
        case (.string(let e), .string(let a)):
            if substitutions.live(for: e) != a { report(path, expected, actual) }
        default:
            if expected != actual { report(path, expected, actual) }
        }
    }

    private mutating func report(_ path: JSONPath, _ e: JSONValue?, _ a: JSONValue?) {
        guard differences.count < Self.limit else { return }
        var changed = false
        differences.append(ReplayDifference(path: path, expected: e.map { substitutions.apply($0, changed: &changed) }, actual: a))
    }
}
