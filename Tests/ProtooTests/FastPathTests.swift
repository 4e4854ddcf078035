import Testing
@testable import Protoo

/// The fast paths (word-at-a-time string scanning, pre-encoded data) against straightforward
/// reference implementations: same bytes, same verdicts.
@Suite struct FastPathTests {
    /// The writer's string encoding before the word-at-a-time scan, byte by byte.
    static func referenceString(_ s: String) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "\""): out += Array("\\\"".utf8)
            case UInt8(ascii: "\\"): out += Array("\\\\".utf8)
            case 0x0A: out += Array("\\n".utf8)
            case 0x0D: out += Array("\\r".utf8)
            case 0x09: out += Array("\\t".utf8)
            case 0x08: out += Array("\\b".utf8)
            case 0x0C: out += Array("\\f".utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(c >> 4)], hex[Int(c & 0xF)]]
            default: out.append(c)
            }
        }
        out.append(UInt8(ascii: "\""))
        return out
    }

    /// Strings with every special byte at every offset around the 8-byte word boundaries, plus
    /// multi-byte UTF-8 (bytes ≥ 0x80 must not look special) and bytes next to the limits (0x1F, 0x20, 0x21, 0x5B, 0x5D).
    static var table: [String] {
        var strings = ["", "a", "plain ascii text of some length", "é€日本語😀", "\u{7F}\u{80}\u{FF}",
                       "12345678", "1234567\"", "\"1234567", "abcdefgh\\ijklmnop", "\u{1F} \u{20}!\u{21}[]\u{5B}\u{5D}"]
        let specials: [Character] = ["\"", "\\", "\n", "\r", "\t", "\u{08}", "\u{0C}", "\u{00}", "\u{01}", "\u{1F}", "é", "😀"]
        for special in specials {
            for length in [1, 7, 8, 9, 15, 16, 17, 24] {
                for position in 0..<length {
                    var chars = Array(repeating: Character("x"), count: length)
                    chars[position] = special
                    strings.append(String(chars))
                }
            }
        }
        return strings
    }

    @Test func writerStringMatchesReference() {
        for s in Self.table {
            var out: [UInt8] = []
            JSONWriter.writeString(s, into: &out)
            #expect(out == Self.referenceString(s), "\(s.debugDescription)")
        }
    }

    @Test func parserAndValidatorRoundTripEveryString() throws {
        for s in Self.table {
            let text = String(decoding: Self.referenceString(s), as: UTF8.self)
            #expect(try JSONParser.parse(text) == .string(s), "\(s.debugDescription)")
            // The validator (used for data nobody reads) accepts what the parser accepts.
            let frame = "{\"notification\":true,\"method\":\"m\",\"data\":{\"k\":\(text)}}"
            #expect(throws: Never.self) { try RawMessage.decode(frame) }
        }
    }

    @Test func rawControlCharactersAreRefusedAtEveryOffset() {
        for length in [1, 7, 8, 9, 16, 17] {
            for position in 0..<length {
                var bytes = Array(repeating: UInt8(ascii: "x"), count: length)
                bytes[position] = 0x01
                let text = "\"" + String(decoding: bytes, as: UTF8.self) + "\""
                #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
                let frame = "{\"notification\":true,\"method\":\"m\",\"data\":[\(text)]}"
                #expect(throws: MessageDecodingError.self) { try RawMessage.decode(frame) }
            }
        }
    }

    @Test func unterminatedStringsAreRefused() {
        for text in ["\"abc", "\"abcdefghijkl", "\"abcdefgh\\", "\"abcdefgh\\\""] {
            #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
            #expect(throws: MessageDecodingError.self) { try RawMessage.decode("{\"notification\":true,\"method\":\"m\",\"data\":\(text)") }
        }
    }

    @Test func jsonTextAndBuilderMatchTheValueEncoding() throws {
        let value: JSONValue = ["a": 1, "b": "x\"y", "c": [true, false, nil, -42, 1.5], "d": ["e": .emptyObject]]
        #expect(JSONText(value).description == JSONWriter.string(value))
        #expect(JSONText(value).value == value)
        var b = JSONBuilder()
        b.raw("{\"a\":"); b.int(1); b.raw(",\"b\":"); b.string("x\"y")
        b.raw(",\"c\":["); b.bool(true); b.raw(","); b.bool(false); b.raw(",null,"); b.int(-42); b.raw(","); b.value(1.5)
        b.raw("],\"d\":"); b.raw(JSONText(["e": .emptyObject])); b.raw("}")
        #expect(JSONText(unchecked: b) == JSONText(value))
        #expect(try JSONText(validating: "{\"a\":1}").value == ["a": 1])
        #expect(throws: JSONParseError.self) { try JSONText(validating: "{\"a\":}") }
    }

    /// A pre-encoded notification, request and response are the same bytes as the `JSONValue` ones.
    @Test func preEncodedMessagesMatchValueMessages() {
        let data: JSONValue = ["desiredBitrate": 1_700_000, "name": "é\n", "list": [1, 2]]
        let (context, scheduler) = EngineContext.virtual(seed: 9)
        let (serverEnd, clientEnd) = MemoryTransport.pair(scheduler: scheduler)
        let peer = Peer(id: "p", transport: serverEnd, context: context)
        _ = clientEnd
        peer.notify("n", data)
        peer.notify("n", JSONText(data))
        peer.notify("n") { $0.value(data) }
        #expect(serverEnd.sent.count == 3)
        #expect(Set(serverEnd.sent).count == 1)
        #expect(serverEnd.sent[0] == Message.notification(method: "n", data: data).encode())
        #expect(EncodedNotification("n", JSONText(data)) == EncodedNotification("n", data))

        // Requests: same seed, same id, same bytes.
        var sent: [String] = []
        for encoded in [false, true] {
            let (ctx, sch) = EngineContext.virtual(seed: 5)
            let (a, _) = MemoryTransport.pair(scheduler: sch)
            let p = Peer(id: "p", transport: a, context: ctx)
            if encoded { p.request("r", JSONText(data)) { _ in } } else { p.request("r", data) { _ in } }
            #expect(p.pendingRequestCount == 1)
            sent += a.sent
        }
        #expect(sent.count == 2 && sent[0] == sent[1])
    }

    /// `accept(JSONText)` answers with the same bytes as `accept(JSONValue)`.
    @Test func preEncodedResponseMatchesValueResponse() throws {
        let data: JSONValue = ["id": "abc", "n": [1, 2, ["x": nil]]]
        var responses: [String] = []
        for encoded in [false, true] {
            let harness = EngineHarness(seed: 3)
            let (server, client, _) = try harness.connect("p")
            server.onRequest { request in
                if encoded { request.accept(JSONText(data)); return .deferred }
                return .accept(data)
            }
            let outcomes = Outcomes()
            client.request("get", completion: outcomes.handler)
            harness.scheduler.runUntilIdle()
            #expect(outcomes.results.count == 1)
            if case .success(let value)? = outcomes.results.first { #expect(value == data) } else { Issue.record("no success") }
            responses += (server.transport as! MemoryTransport).sent
        }
        #expect(responses.count == 2 && responses[0] == responses[1])
    }
    /// The canonical-layout fast path of message decoding agrees with the general decoder on
    /// every frame it accepts, accepts what the engine writes, and leaves everything else alone.
    @Test func canonicalDecodingMatchesGeneralDecoding() throws {
        let data: [JSONValue] = [.emptyObject, ["a": 1], [1, "x"], "", "s", 0, 1, -1.5, true, false, nil, ["k": ["\"": "\\"]]]
        var frames: [String] = []
        for d in data {
            frames.append(Message.request(id: 42, method: "getRouterRtpCapabilities", data: d).encode())
            frames.append(Message.request(id: 0, method: "m\"é", data: d).encode())
            frames.append(Message.successResponse(id: 10_000_000, data: d).encode())
            frames.append(Message.notification(method: "downlinkBwe", data: d).encode())
        }
        frames.append(Message.errorResponse(id: 7, code: 500, reason: "boom").encode())
        // Engine-written frames take the fast path.
        for frame in frames where !frame.contains("errorCode") {
            var f = frame
            #expect(f.withUTF8 { RawMessage.decodeCanonical($0) } != nil, "\(frame)")
        }
        // Variants the fast path must refuse (or decode like the general path).
        frames += [
            #"{"request":true,"id":1.0,"method":"m","data":{}}"#, #"{"request":true,"id":01,"method":"m","data":{}}"#,
            #"{"request":true,"id":-3,"method":"m","data":{}}"#, #"{"request":true,"id":1,"method":5,"data":{}}"#,
            #"{"request":true,"id":1,"method":"m","data":{}} "#, #"{"request":true,"id":1,"method":"m","data":{},"x":1}"#,
            #"{"request":true,"id":1,"method":"m","data":{"a":}}"#, #"{"request":true,"id":1,"method":"m","data":{}"#,
            #"{"request":true,"id":1,"method":"m","data":{}}}"#, #"{"request":true,"id":99999999999999999999,"method":"m","data":{}}"#,
            #"{"response":true,"id":1,"ok":true,"data":[1,2]}"#, #"{"response":true,"id":1,"ok":true,"data":"\u0001"}"#,
            #"{"notification":true,"method":"m","data":{"a":"\x"}}"#, #"{"notification":true,"method":"m\u0041","data":1}"#,
            #"{"notification":true,"method":"m","data":null}"#, #"{"notification":true,"method":"m","data":0}"#,
            #"{"notification":true,"method":"m","data":-0}"#, #"{"notification":true,"method":"m","data":""}"#,
        ]
        for frame in frames {
            var f = frame
            let general = f.withUTF8 { bytes in Result { () throws(MessageDecodingError) in try RawMessage.decodeGeneral(bytes: bytes) } }
            let canonical = f.withUTF8 { RawMessage.decodeCanonical($0) }
            if let canonical {
                let g = try general.get()
                #expect("\(canonical.0)" == "\(g.0)", "\(frame)")
                #expect(canonical.1 == g.1, "\(frame)")
            }
            // The public entry point gives the general path's verdict either way.
            let viaDecode = f.withUTF8 { bytes in Result { () throws(MessageDecodingError) in try RawMessage.decode(bytes: bytes) } }
            switch (viaDecode, general) {
            case (.success(let a), .success(let b)): #expect("\(a.0)" == "\(b.0)" && a.1 == b.1, "\(frame)")
            case (.failure(let a), .failure(let b)): #expect(a == b, "\(frame)")
            default: Issue.record("fast and general paths disagree on \(frame)")
            }
        }
    }
}

/// The validator's number check against the parser's, on valid and invalid numbers: same verdict,
/// same end position, same error offset and reason.
@Suite struct NumberValidationTests {
    @Test(arguments: ["0", "-0", "7", "-42", "1234567890123", "99999999999999999999", "1.5", "-0.25", "1e3", "1E+3",
                      "2.5e-7", "1e99999", "-", "-a", "01", "-01", "1.", "1.e3", "1e", "1e+", ".5", "1.5.2", "0x1", "1ee2"])
    func skipNumberMatchesParseNumber(text: String) {
        var t = text + "]"
        t.withUTF8 { bytes in
            var parser = JSONParser.Cursor(bytes: bytes)
            var validator = JSONParser.Cursor(bytes: bytes)
            let parsed = Result { () throws(JSONParseError) in try parser.parseNumber() }
            let skipped = Result { () throws(JSONParseError) in try validator.skipNumber() }
            switch (parsed, skipped) {
            case (.success, .success): #expect(parser.index == validator.index, "\(text)")
            case (.failure(let a), .failure(let b)): #expect(a == b, "\(text)")
            default: Issue.record("parser and validator disagree on \(text)")
            }
        }
    }
}

/// Reading one member of request data, and response data left as bytes, against the full parse.
@Suite struct LazyMemberTests {
    static let frames: [String] = [
        #"{"request":true,"id":1,"method":"m","data":{"a":1,"b":{"c":[1,2]},"d":"x"}}"#,
        #"{"request":true,"id":1,"method":"m","data":{"a":1,"a":2,"b":3,"a":{"z":null}}}"#,
        #"{"request":true,"id":1,"method":"m","data":{}}"#,
        #"{"request":true,"id":1,"method":"m","data":[1,2]}"#,
        #"{"request":true,"id":1,"method":"m","data":"str"}"#,
        #"{"request":true,"id":1,"method":"m","data":null}"#,
        #"{"request":true,"id":1,"method":"m"}"#,
        #" { "request" : true , "id" : 1 , "method" : "m" , "data" : { "a" : 1 , "b\u0041" : [ ] , "c" : "\"" } } "#,
        #"{"request":true,"id":1,"method":"m","data":{"rtpCapabilities":{"codecs":[{"x":1.5e3}]},"displayName":"é","device":{"flag":"chrome"}}}"#,
    ]
    static let keys = ["a", "b", "bA", "c", "d", "z", "", "rtpCapabilities", "displayName", "device", "missing"]

    @Test func requestMemberMatchesData() throws {
        for frame in Self.frames {
            var lazy: [JSONValue?] = [], full: [JSONValue?] = []
            var has: [Bool] = [], present: [Bool] = []
            for parsedFirst in [false, true] {
                let (context, scheduler) = EngineContext.virtual(seed: 1)
                let (serverEnd, clientEnd) = MemoryTransport.pair(scheduler: scheduler)
                let server = Peer(id: "s", transport: serverEnd, context: context)
                server.onRequest { request in
                    if parsedFirst { _ = request.data }
                    for key in Self.keys {
                        // Asked before the value is read, so it runs on the member index alone.
                        has.append(request.hasMember(key))
                        lazy.append(request.member(key))
                        full.append(request.data[key])
                        present.append(request.data[key] != nil)
                    }
                    return .accept()
                }
                clientEnd.send(frame)
                scheduler.runUntilIdle()
            }
            #expect(lazy.count == 2 * Self.keys.count, "\(frame)")
            #expect(lazy == full, "\(frame)")
            #expect(has == present, "\(frame)")
        }
    }

    @Test func lazyResponseMatchesParsedResponse() throws {
        let data: JSONValue = ["id": "abc", "n": [1, 2], "id2": ["x": nil]]
        for answer in [data, .emptyObject, [1, 2], nil] {
            var parsed: JSONValue?, lazyValue: JSONValue?, lazyMembers: [JSONValue?] = []
            for lazy in [false, true] {
                let harness = EngineHarness(seed: 3)
                let (server, client, _) = try harness.connect("p")
                server.onRequest { _ in .accept(answer) }
                if lazy {
                    client.requestLazily("get") { result in
                        if case .success(let d) = result {
                            lazyValue = d.value
                            lazyMembers = ["id", "n", "id2", "q"].map { d[$0] }
                        }
                    }
                } else {
                    client.request("get") { result in if case .success(let v) = result { parsed = v } }
                }
                harness.scheduler.runUntilIdle()
            }
            #expect(parsed != nil)
            #expect(lazyValue == parsed)
            #expect(lazyMembers == ["id", "n", "id2", "q"].map { parsed?[$0] })
        }
    }
}

/// Timers posted without a handle run in the same order as handled ones.
@Suite struct PostedTimerTests {
    final class Recorder: TimerTarget {
        var fired: [Int] = []
        func timerFired(_ tag: Int) { fired.append(tag) }
    }

    @Test func postedAndScheduledTimersShareOneOrder() {
        let scheduler = VirtualScheduler()
        let recorder = Recorder()
        for i in 0..<20 {
            let at = Instant(nanoseconds: Int64((i * 7) % 5))
            if i.isMultiple(of: 2) {
                scheduler.post(at: at, target: recorder, tag: i)
            } else {
                scheduler.schedule(at: at, target: recorder, tag: i)
            }
        }
        scheduler.runUntilIdle()
        let expected = (0..<20).sorted { a, b in ((a * 7) % 5, a) < ((b * 7) % 5, b) }
        #expect(recorder.fired == expected)
    }
}

/// What the engine encodes reaches transports as bytes (`send(utf8:)`); the default makes a string.
@Suite struct EncodedSendTests {
    /// A transport that takes the bytes and, on the first message, makes the engine encode and
    /// send another message before it reads them: the outer message must come through intact.
    final class ReenteringTransport: Transport {
        weak var delegate: (any TransportDelegate)?
        var isClosed: Bool { false }
        var received: [String] = []
        var byteSends = 0
        var reenter: (() -> Void)?
        func send(_ text: String) { received.append(text) }
        func send(utf8: UnsafeRawBufferPointer) {
            byteSends += 1
            if let r = reenter {
                reenter = nil
                r()
            }
            received.append(String(decoding: utf8, as: UTF8.self))
        }
        func close(code: UInt16, reason: String) {}
        func abort() {}
    }

    @Test func reentrantSendKeepsBothMessagesIntact() {
        let (context, _) = EngineContext.virtual(seed: 1)
        let outer = ReenteringTransport(), inner = ReenteringTransport()
        let a = Peer(id: "a", transport: outer, context: context)
        let b = Peer(id: "b", transport: inner, context: context)
        let long = String(repeating: "x", count: 5000)  // makes the re-entrant encoding grow its buffer
        outer.reenter = { b.notify("inner", ["text": .string(long)]) }
        a.notify("outer") { $0.raw("{\"n\":"); $0.int(42); $0.raw("}") }
        #expect(outer.received == [#"{"notification":true,"method":"outer","data":{"n":42}}"#])
        #expect(inner.received == [Message.notification(method: "inner", data: ["text": .string(long)]).encode()])
        // Every engine-encoded kind goes through the bytes path.
        a.notify("n", JSONText(["k": 1]))
        a.notify("n", ["k": 1])
        a.request("r", JSONText(["k": 1])) { _ in }
        #expect(outer.byteSends == 4)
        #expect(outer.received[1] == outer.received[2])
    }

    /// A transport without its own `send(utf8:)` gets the same text through `send(_:)`.
    @Test func defaultSendMakesTheSameString() {
        let (context, scheduler) = EngineContext.virtual(seed: 1)
        let (serverEnd, _) = MemoryTransport.pair(scheduler: scheduler)
        let peer = Peer(id: "p", transport: serverEnd, context: context)
        peer.notify("é") { $0.string("ünï\u{1F600}") }
        #expect(serverEnd.sent == [Message.notification(method: "é", data: .string("ünï\u{1F600}")).encode()])
    }
}

/// The validator (`skipValue`, what every received frame goes through) against the parser on
/// thousands of corrupted payloads: the same verdict, and for a refusal the same offset and reason.
@Suite struct ValidatorAgreementTests {
    @Test func validatorAndParserAgreeOnCorruptedPayloads() {
        let value: JSONValue = [
            "codecs": [["mimeType": "video/VP8", "payloadType": 101, "clockRate": 90000, "parameters": .emptyObject,
                        "rtcpFeedback": [["type": "nack", "parameter": ""], ["type": "ccm", "parameter": "fir"]]]],
            "encodings": [["ssrc": 123456789, "scaleResolutionDownBy": 4, "rid": "r0", "dtx": false, "x": nil],
                          ["maxBitrate": -900000, "ratio": 1.5e-3, "esc": "a\"b\\c\u{1}é"]],
            "rtcp": ["cname": "ab12cd34", "reducedSize": true], "list": [1, [2, [3, []]], "", 0], "mid": "1",
        ]
        let original = Array(JSONText(value).bytes)
        let replacements = Array(#""\{}[],:0-e.E+ atfnu9"#.utf8) + [0x01, 0x0A, 0xC3]
        var random = SeededRandom(seed: 11)
        var checked = 0
        for _ in 0..<20_000 {
            var bytes = original
            for _ in 0..<(1 + Int(random.next(upperBound: UInt64(2)))) {
                let at = Int(random.next(upperBound: UInt64(bytes.count)))
                switch random.next(upperBound: UInt64(4)) {
                case 0: bytes.remove(at: at)
                case 1: bytes.insert(replacements[Int(random.next(upperBound: UInt64(replacements.count)))], at: at)
                case 2: bytes.removeSubrange(at...)
                default: bytes[at] = replacements[Int(random.next(upperBound: UInt64(replacements.count)))]
                }
                if bytes.isEmpty { bytes = [0x20] }
            }
            bytes.withUnsafeBufferPointer { p in
                let parsed = Result { () throws(JSONParseError) in try JSONParser.parse(bytes: p) }
                var cursor = JSONParser.Cursor(bytes: p)
                cursor.skipWhitespace()
                let validated = Result { () throws(JSONParseError) in try cursor.skipValue(depth: 0) }
                #expect(Self.fastAgrees(p, depth: 0), "\(String(decoding: bytes, as: UTF8.self))")
                switch (parsed, validated) {
                case (.success, .success): break
                case (.failure(let a), .failure(let b)):
                    #expect(a == b, "\(String(decoding: bytes, as: UTF8.self))")
                case (.failure(let a), .success):
                    // Only trailing data is refused after the value, by both entry points' own check.
                    #expect(a.reason == "unexpected data after the value" && !JSONParser.isValid(p),
                            "\(String(decoding: bytes, as: UTF8.self))")
                case (.success, .failure(let b)):
                    Issue.record("validator refused what the parser accepts (\(b)): \(String(decoding: bytes, as: UTF8.self))")
                }
                checked += 1
            }
        }
        #expect(checked == 20_000)
    }

    /// Whether the fast path (`validateValue`) ends where the exact validator (`skipValue`) ends,
    /// or fails with the same error, from the first non-blank byte.
    static func fastAgrees(_ p: UnsafeBufferPointer<UInt8>, depth: Int) -> Bool {
        var exact = JSONParser.Cursor(bytes: p)
        exact.skipWhitespace()
        var fast = exact
        let a = Result { () throws(JSONParseError) in try exact.skipValue(depth: depth) }
        let b = Result { () throws(JSONParseError) in try fast.validateValue(depth: depth) }
        switch (a, b) {
        case (.success, .success): return exact.index == fast.index
        case (.failure(let x), .failure(let y)): return x == y
        default: return false
        }
    }

    /// The cases the fast path hands to the exact validator, and the grammar's corners.
    @Test(arguments: [
        #""a\"b""#, #"["\u00e9",1]"#, #"{"k\n":2}"#, "\"\u{1}\"", #""\u12""#,
        "tru", "true", "truex", "fals", "false", "falsy", "nul", "null", "[true,false,null]",
        "-", "-0", "01", "1.", "1.5", "1e", "1E+", "1e-7", "-0.5E+3", "0x1", "[1,]", "[,1]", "{\"a\" : 1 , \"b\":[ ] }",
        "{\"a\"1}", "{1:2}", "{\"a\":}", "[1 2]", "{}", "[]", "[{}]", "{\"a\":{\"b\":{}}}", " ", "", "]", "}",
    ])
    func fastPathAgreesOnCorners(text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeBufferPointer { #expect(Self.fastAgrees($0, depth: 0), "\(text)") }
        bytes.append(UInt8(ascii: " "))
        bytes.withUnsafeBufferPointer { #expect(Self.fastAgrees($0, depth: 0), "\(text) + space") }
    }

    /// Nesting around the fast path's own limit (62 levels) and around the parser's (256).
    @Test func fastPathAgreesOnDeepNesting() {
        for levels in [1, 60, 61, 62, 63, 64, 100, 255, 256, 257] {
            for (open, close) in [("[", "]"), ("{\"k\":", "}")] {
                let text = String(repeating: open, count: levels) + "1" + String(repeating: close, count: levels)
                for depth in [0, 1, 200, 256 - levels, 257 - levels] where depth >= 0 {
                    Array(text.utf8).withUnsafeBufferPointer {
                        #expect(Self.fastAgrees($0, depth: depth), "\(levels) levels of \(open) at depth \(depth)")
                    }
                }
            }
        }
    }
}
