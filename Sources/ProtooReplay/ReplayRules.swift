import Foundation
import Protoo

/// How server output is matched against the recording: which values are volatile, which of them
/// the client echoes back later, and which messages are not compared at all.
///
/// Rules file (JSON; see `docs/replay.md`):
/// ```json
/// {
///   "defaults": true,
///   "capture": [{"method": "*", "path": "data.id"}],
///   "ignore":  [{"method": "downlinkBwe", "path": "data.availableBitrate"}],
///   "skip":    [{"method": "activeSpeaker"}]
/// }
/// ```
/// - `capture`: a value the server generates (an id) that a client may send back later. Not
///   compared; when the live string differs from the recorded one, recorded → live becomes a
///   substitution applied to every later client message and to every later expected server message.
/// - `ignore`: a volatile value (a random number, a timestamp). Not compared, nothing learned. The
///   member must still be present.
/// - `skip`: messages of this method are left out of the comparison on both sides (output whose
///   number or order depends on randomness, like a speaker detector).
/// - `defaults: false` drops ``default`` (otherwise the file's rules add to it).
///
/// The method of a server response is the method of the client request it answers.
/// Paths start at the message object (`data.id`, `errorReason`); see ``JSONPathPattern``.
public struct ReplayRules: Sendable, Hashable {
    /// One rule: a method pattern (`*` globs) and a path pattern.
    public struct Rule: Sendable, Hashable {
        public var method: String
        public var path: JSONPathPattern

        public init(method: String, path: JSONPathPattern) {
            self.method = method
            self.path = path
        }
    }

    public var capture: [Rule]
    public var ignore: [Rule]
    /// Method patterns of messages left out of the comparison.
    public var skip: [String]

    public init(capture: [Rule] = [], ignore: [Rule] = [], skip: [String] = []) {
        self.capture = capture
        self.ignore = ignore
        self.skip = skip
    }

    /// protoo's own volatile values: the `data.id` a server hands out (transport, producer and
    /// consumer ids in the mediasoup flow) is captured. Request ids are mapped separately, always.
    public static let `default` = ReplayRules(capture: [Rule(method: "*", path: JSONPathPattern("data.id")!)])

    /// These rules followed by `other`'s.
    public func adding(_ other: ReplayRules) -> ReplayRules {
        ReplayRules(capture: capture + other.capture, ignore: ignore + other.ignore, skip: skip + other.skip)
    }

    package func skips(_ method: String) -> Bool {
        !skip.isEmpty && skip.contains { MethodPattern(text: $0).matches(method) }
    }

    // MARK: Files

    /// Reads a rules file (added to ``default`` unless it says `"defaults": false`).
    public init(contentsOfFile path: String) throws(ReplayError) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .invalidRules(source: path, reason: "cannot read the file (\(error.localizedDescription))")
        }
        try self.init(json: text, source: path)
    }

    /// Parses rules from JSON text (added to ``default`` unless it says `"defaults": false`).
    public init(json text: String, source: String = "rules") throws(ReplayError) {
        func fail(_ reason: String) -> ReplayError { .invalidRules(source: source, reason: reason) }
        let value: JSONValue
        do { value = try JSONParser.parse(text) } catch { throw fail("not JSON (\(error))") }
        guard let object = value.objectValue else { throw fail("the top level must be an object") }
        var rules = ReplayRules()
        var useDefaults = true
        for member in object {
            switch member.key {
            case "defaults":
                guard let b = member.value.boolValue else { throw fail("\"defaults\" must be true or false") }
                useDefaults = b
            case "capture", "ignore":
                guard let list = member.value.arrayValue else { throw fail("\"\(member.key)\" must be an array of {\"method\", \"path\"}") }
                for (i, entry) in list.enumerated() {
                    let method = entry["method"]?.stringValue ?? "*"
                    guard let pathText = entry["path"]?.stringValue else {
                        throw fail("\(member.key)[\(i)] needs a string \"path\" such as \"data.id\"")
                    }
                    guard let path = JSONPathPattern(pathText) else {
                        throw fail("\(member.key)[\(i)].path \"\(pathText)\" has an empty segment")
                    }
                    let rule = Rule(method: method, path: path)
                    if member.key == "capture" { rules.capture.append(rule) } else { rules.ignore.append(rule) }
                }
            case "skip":
                guard let list = member.value.arrayValue else { throw fail("\"skip\" must be an array of {\"method\"}") }
                for (i, entry) in list.enumerated() {
                    guard let method = entry["method"]?.stringValue ?? entry.stringValue else {
                        throw fail("skip[\(i)] needs a string \"method\"")
                    }
                    rules.skip.append(method)
                }
            default:
                throw fail("unknown key \"\(member.key)\" (expected defaults, capture, ignore, skip)")
            }
        }
        self = useDefaults ? ReplayRules.default.adding(rules) : rules
    }
}
