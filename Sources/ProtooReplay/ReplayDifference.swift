import Protoo

/// One place where a live server message differs from the recorded one.
public struct ReplayDifference: Sendable, Hashable, CustomStringConvertible {
    /// Where, e.g. `data.peers[0].displayName` (`method` for a renamed notification).
    public var path: JSONPath
    /// The recorded value; `nil` when the live message has a member the recording lacks.
    public var expected: JSONValue?
    /// The live value; `nil` when the live message lacks a recorded member.
    public var actual: JSONValue?

    public init(path: JSONPath, expected: JSONValue?, actual: JSONValue?) {
        self.path = path
        self.expected = expected
        self.actual = actual
    }

    public var description: String {
        switch (expected, actual) {
        case (let e?, nil): return "\(path): missing (expected \(Self.short(e)))"
        case (nil, let a?): return "\(path): unexpected \(Self.short(a))"
        case (let e?, let a?): return "\(path): expected \(Self.short(e)), got \(Self.short(a))"
        case (nil, nil): return "\(path)"
        }
    }

    static func short(_ v: JSONValue) -> String {
        let text = v.description
        return text.count > 120 ? String(text.prefix(117)) + "..." : text
    }
}
