import Protoo
import ProtooApps
@testable import ProtooReplay
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
