import Protoo
import ProtooApps
@testable import ProtooReplay
import ProtooTrace
import Testing

@Suite struct RulesTests {
    @Test func pathPatterns() throws {
        let p = try #require(JSONPathPattern("data.iceCandidates[*].port"))
        #expect(p.matches(JSONPath([.key("data"), .key("iceCandidates"), .index(1), .key("port")])))
        #expect(!p.matches(JSONPath([.key("data"), .key("iceCandidates"), .index(1), .key("ip")])))
        let deep = try #require(JSONPathPattern("data.**.ssrc"))
        #expect(deep.matches(JSONPath([.key("data"), .key("ssrc")])))
        #expect(deep.matches(JSONPath([.key("data"), .key("a"), .index(0), .key("ssrc")])))
        #expect(!deep.matches(JSONPath([.key("id")])))
        #expect(JSONPathPattern("data..id") == nil)
        #expect(JSONPathPattern("") == nil)
    }

    @Test func methodGlobs() {
        #expect(MethodPattern(text: "*").matches("join"))
        #expect(MethodPattern(text: "get*Stats").matches("getTransportStats"))
        #expect(!MethodPattern(text: "get*Stats").matches("getTransport"))
        #expect(MethodPattern(text: "join").matches("join"))
        #expect(!MethodPattern(text: "join").matches("joined"))
    }

    @Test func fileFormatAddsToDefaults() throws {
        let rules = try ReplayRules(json: #"{"ignore":[{"method":"downlinkBwe","path":"data.availableBitrate"}],"skip":[{"method":"activeSpeaker"}]}"#)
        #expect(rules.capture == ReplayRules.default.capture)
        #expect(rules.ignore.count == 1)
        #expect(rules.skips("activeSpeaker"))
        let bare = try ReplayRules(json: #"{"defaults":false}"#)
        #expect(bare.capture.isEmpty)
    }

    @Test(arguments: [
        (#"[1]"#, "top level"),
        (#"{"ignore":[{"method":"x"}]}"#, "needs a string \"path\""),
        (#"{"ignores":[]}"#, "unknown key \"ignores\""),
        (#"{"capture":[{"path":"a..b"}]}"#, "empty segment"),
    ])
    func invalidRulesSayWhatIsWrong(json: String, fragment: String) {
        do {
            _ = try ReplayRules(json: json)
            Issue.record("accepted \(json)")
        } catch {
            #expect(error.description.contains(fragment), "\(error)")
            #expect(error.description.contains("docs/replay.md"))
        }
    }

    @Test func diffReportsPathsIgnoresAndLearns() throws {
        var rules = ReplayRules.default
        rules.ignore.append(.init(method: "m", path: JSONPathPattern("data.ts")!))
        let expected = try JSONParser.parse(#"{"data":{"id":"rec-1","ts":1,"name":"a","list":[1,2]}}"#)
        let actual = try JSONParser.parse(#"{"data":{"id":"live-1","ts":2,"name":"b","list":[1],"extra":true}}"#)
        var diff = MessageDiff(rules: rules, method: "m", substitutions: Substitutions())
        diff.compare(expected, actual, at: JSONPath())
        #expect(diff.differences.map(\.path.description) == ["data.name", "data.list[1]", "data.extra"])
        #expect(diff.substitutions.live(for: "rec-1") == "live-1")
        // A learned value then matches wherever the recording echoes it.
        var later = MessageDiff(rules: rules, method: "n", substitutions: diff.substitutions)
        later.compare(try JSONParser.parse(#"{"data":{"transportId":"rec-1"}}"#), try JSONParser.parse(#"{"data":{"transportId":"live-1"}}"#), at: JSONPath())
        #expect(later.differences.isEmpty)
    }

    @Test func substitutionsReplaceWholeStringsOnly() throws {
        var s = Substitutions()
        s.learn(recorded: "abc", live: "xyz")
        var changed = false
        let out = s.apply(try JSONParser.parse(#"{"a":"abc","b":"abcd","c":["abc"],"abc":1}"#), changed: &changed)
        #expect(changed)
        #expect(out.description == #"{"a":"xyz","b":"abcd","c":["xyz"],"abc":1}"#)
    }

    @Test func speedArgument() {
        #expect(ReplaySpeed(argument: "max") == .maximum)
        #expect(ReplaySpeed(argument: "10x") == .paced(factor: 10))
        #expect(ReplaySpeed(argument: "fast") == nil)
        #expect(ReplaySpeed(argument: "0x") == nil)
    }

    @Test func appLookup() {
        for name in BuiltInApps.names { #expect(BuiltInApps.factory(named: name) != nil) }
        #expect(BuiltInApps.factory(named: "nope") == nil)
    }
}

/// The no-parse check that a live message equals the recorded one under learned substitutions.
@Suite struct SubstitutedEqualityTests {
    static let learned: Substitutions = {
        var s = Substitutions()
        s.learn(recorded: "rec-1", live: "live-1")
        s.learn(recorded: "rec-22", live: "live-two")
        s.learn(recorded: "same", live: "other")
        return s
    }()

    @Test(arguments: [
        (#"{"a":"rec-1","b":[1,"rec-22"]}"#, #"{"a":"live-1","b":[1,"live-two"]}"#, true),
        (#"{"a":"x"}"#, #"{"a":"x"}"#, true),
        (#"{"a":"rec-1"}"#, #"{"a":"rec-1"}"#, false),      // learned elsewhere: the diff reports it
        (#"{"a":"rec-1"}"#, #"{"a":"live-2"}"#, false),     // not the learned value
        (#"{"rec-1":1}"#, #"{"live-1":1}"#, false),         // keys are never substituted
        (#"{"a":"x"}"#, #"{"a":"y"}"#, false),
        (#"{"a":1}"#, #"{"a":1.0}"#, false),                // equal values, other bytes: diffed
        (#"{"a":1,"b":2}"#, #"{"b":2,"a":1}"#, false),      // key order: diffed
        (#"{"a":"r\"ec"}"#, #"{"a":"r\"ec"}"#, false),      // escapes: diffed (equal texts never get here)
        (#"["rec-1""#, #"["live-1""#, false),               // not JSON: the diff reports it
        (#"{"a":"rec-1"}"#, #"{"a":"live-1"} "#, false),
        ("{\"a\":\"same\"}", "{\"a\":\"other\"}", true),
    ])
    func verdicts(recorded: String, live: String, equal: Bool) {
        #expect(SubstitutedEquality.holds(recorded, live, under: Self.learned) == equal)
    }

    /// Over every server message of the samples, with some of its strings substituted (and, every
    /// other time, one more byte changed): whenever the check says equal, the tree diff under the
    /// conference rules finds no difference and learns nothing new; a pure substitution is equal.
    @Test func agreesWithTheTreeDiff() throws {
        let rules = try ReplayRules(contentsOfFile: conferenceRules)
        var checked = 0, equal = 0
        for path in sampleTraces() {
            let reader = try TraceReader(path: path)
            var n = 0
            while let r = try reader.next() {
                guard case .messageOut(let text) = r.event, let value = try? JSONParser.parse(text) else { continue }
                n += 1
                // Learn a substitution for every third string value of the message.
                var subs = Substitutions()
                var strings: [String] = []
                func collect(_ v: JSONValue) {
                    switch v {
                    case .string(let s): strings.append(s)
                    case .array(let a): a.forEach(collect)
                    case .object(let o): o.forEach { collect($0.value) }
                    default: break
                    }
                }
                collect(value)
                for (i, s) in strings.enumerated() where i % 3 == 0 && !s.isEmpty { subs.learn(recorded: s, live: "L\(i)-" + s) }
                var changed = false
                let live = JSONWriter.string(subs.apply(value, changed: &changed))
                var variants = [live]
                if n % 2 == 0, let k = live.utf8.indices.dropFirst(live.utf8.count / 2).first {
                    var bytes = Array(live.utf8)
                    let i = live.utf8.distance(from: live.utf8.startIndex, to: k)
                    bytes[i] = bytes[i] == UInt8(ascii: "7") ? UInt8(ascii: "8") : UInt8(ascii: "7")
                    variants.append(String(decoding: bytes, as: UTF8.self))
                }
                for candidate in variants {
                    checked += 1
                    guard SubstitutedEquality.holds(text, candidate, under: subs) else { continue }
                    equal += 1
                    let method = WireSummary.scan(text).method
                    var diff = MessageDiff(rules: rules, method: method, substitutions: subs)
                    diff.compare(value, try JSONParser.parse(candidate), at: JSONPath())
                    #expect(diff.differences.isEmpty, "\(text) vs \(candidate)")
                    #expect(diff.substitutions.map == subs.map)
                }
                // Canonical text with no escapes: the pure substitution is recognized.
                if text == JSONWriter.string(value), !text.contains("\\") {
                    #expect(SubstitutedEquality.holds(text, live, under: subs), "\(text)")
                }
            }
        }
        #expect(checked > 5000)
        #expect(equal > checked / 3)
    }
}
