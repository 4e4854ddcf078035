import Testing
@testable import Protoo

@Suite struct JSONTests {
    @Test(arguments: [
        ("{}", JSONValue.object([:])),
        ("[]", .array([])),
        ("null", .null),
        ("true", .bool(true)),
        ("false", .bool(false)),
        ("0", .int(0)),
        ("-0", .int(0)),
        ("42", .int(42)),
        ("-7", .int(-7)),
        ("9223372036854775807", .int(Int64.max)),
        ("-9223372036854775808", .int(Int64.min)),
        ("9223372036854775808", .double(9223372036854775808)),
        ("1.5", .double(1.5)),
        ("1e3", .double(1000)),
        ("-2.5E-3", .double(-0.0025)),
        ("\"a\\\"b\\\\c\\/d\\n\\t\\r\\b\\f\"", .string("a\"b\\c/d\n\t\r\u{08}\u{0C}")),
        ("\"\\u00e9\\u20AC\"", .string("é€")),
        ("\"\\ud83d\\ude00\"", .string("😀")),
        ("\"\\ud83d\"", .string("\u{FFFD}")),
        ("\"日本語\"", .string("日本語")),
        (" { \"a\" : [ 1 , 2.0 , \"x\" , null ] } ", .object(["a": [1, 2.0, "x", nil]])),
    ] as [(String, JSONValue)])
    func parsesValid(text: String, expected: JSONValue) throws {
        #expect(try JSONParser.parse(text) == expected)
    }

    @Test(arguments: [
        ("", 0), ("{", 1), ("{\"a\"}", 4), ("[1,]", 3), ("01", 1), ("1.", 2), ("-", 1), ("tru", 0),
        ("\"abc", 4), ("\"\u{01}\"", 1), ("\"\\x\"", 2), ("{} x", 3), ("nul", 0), ("[1 2]", 3), ("\"\\u12\"", 3),
    ] as [(String, Int)])
    func rejectsInvalidWithOffset(text: String, offset: Int) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
        do {
            _ = try JSONParser.parse(text)
        } catch {
            #expect(error.offset == offset, "offset for \(text.debugDescription)")
        }
    }

    @Test func refusesHostileNesting() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
    }

    @Test func keepsKeyOrderAndNumberKindsOnRoundTrip() throws {
        let text = #"{"z":1,"a":1.5,"m":{"y":[true,false,null],"b":"é\n\u0001"},"n":-3,"big":1e+300}"#
        let value = try JSONParser.parse(text)
        let written = JSONWriter.string(value)
        #expect(written == #"{"z":1,"a":1.5,"m":{"y":[true,false,null],"b":"é\n\u0001"},"n":-3,"big":1e+300}"#)
        #expect(try JSONParser.parse(written) == value)
        #expect(value["z"] == .int(1))
        #expect(value["a"] == .double(1.5))
    }

    @Test func duplicateKeysKeepFirstPositionLastValue() throws {
        let value = try JSONParser.parse(#"{"a":1,"b":2,"a":3}"#)
        #expect(JSONWriter.string(value) == #"{"a":3,"b":2}"#)
    }

    @Test func objectEqualityIgnoresOrderButEncodingKeepsIt() {
        let a: JSONValue = ["x": 1, "y": 2]
        let b: JSONValue = ["y": 2, "x": 1]
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a.description != b.description)
        #expect(JSONValue.int(1) != .double(1))
    }

    @Test func nonFiniteDoublesEncodeAsNull() {
        #expect(JSONWriter.string([.double(.nan), .double(.infinity)]) == "[null,null]")
    }

    @Test(arguments: [
        (JSONValue.null, false), (.bool(false), false), (.int(0), false), (.double(0), false),
        (.double(.nan), false), (.string(""), false), (.bool(true), true), (.int(2), true),
        (.string("x"), true), (.array([]), true), (.object([:]), true),
    ] as [(JSONValue, Bool)])
    func truthinessMatchesJavaScript(value: JSONValue, truthy: Bool) {
        #expect(value.isTruthy == truthy)
    }
}
