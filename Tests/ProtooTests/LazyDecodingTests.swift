import Testing
@testable import Protoo

/// The engine dispatches frames after a validating scan and parses `data` only on demand. These
/// tests hold that path to the strict tree parser: same accept/reject decision, same values.
@Suite struct LazyDecodingTests {
    static let seeds: [String] = [
        #"{"request":true,"id":12,"method":"echo","data":{"a":[1,2.5,"x\n\u00e9",null,true,{"b":-0.5e3}]}}"#,
        #"{"notification":true,"method":"downlinkBwe","data":{"desiredBitrate":1500000,"availableBitrate":2100000}}"#,
        #"{"response":true,"id":7,"ok":true,"data":{"peers":[{"id":"a","displayName":"\"quoted\"","device":{}}]}}"#,
        #"{"response":true,"id":7,"errorCode":500,"errorReason":"boom","data":{"x":1}}"#,
        #"{"notification":true,"method":"x","data":0}"#,
        #"{"notification":true,"method":"x","data":""}"#,
        #"{"notification":true,"method":"x","data":"s","data":[1]}"#,
        #" { "extra" : [ {"deep": [[[]]]} ] , "request" : 1 , "id" : 3 , "method" : "m" } "#,
    ]

    /// The reference: parse the whole frame into a tree, then apply protoo's rules.
    static func reference(_ text: String) -> Message? {
        guard let value = try? JSONParser.parse(text) else { return nil }
        return try? Message.decode(value)
    }

    static func lazy(_ text: String) -> Message? { try? Message.decode(text) }

    @Test func sameDecisionAndValuesOnValidFrames() {
        for text in Self.seeds {
            let expected = Self.reference(text)
            #expect(expected != nil, "\(text)")
            #expect(Self.lazy(text) == expected, "\(text)")
        }
    }

    /// Every truncation and every single-byte substitution of the seeds: the validating scan
    /// accepts exactly what the tree parser accepts, with the same message.
    @Test func sameDecisionOnEveryMutation() {
        let replacements: [UInt8] = Array(#"{}[]",:\ 0-9ea"#.utf8) + [0x01, 0x7F, 0xC3]
        var checked = 0
        for text in Self.seeds {
            let bytes = Array(text.utf8)
            for cut in 0..<bytes.count {
                let t = String(decoding: bytes[..<cut], as: UTF8.self)
                #expect(Self.lazy(t) == Self.reference(t), "cut \(cut) of \(text)")
                checked += 1
            }
            for i in bytes.indices {
                for r in replacements where r != bytes[i] {
                    var mutated = bytes
                    mutated[i] = r
                    let t = String(decoding: mutated, as: UTF8.self)
                    #expect(Self.lazy(t) == Self.reference(t), "byte \(i) → \(r) in \(text)")
                    checked += 1
                }
            }
        }
        #expect(checked > 10_000)
    }

    @Test func notificationDataIsParsedOnlyWhenRead() throws {
        let (context, scheduler) = EngineContext.virtual()
        let (a, b) = MemoryTransport.pair(scheduler: scheduler)
        let receiver = Peer(id: "r", transport: b, context: context)
        var methods: [String] = []
        var data: [JSONValue] = []
        receiver.onNotification { n in
            methods.append(n.method)
            if n.method == "read" { data.append(n.data) }
        }
        a.send(#"{"notification":true,"method":"skip","data":{"big":[1,2,3]}}"#)
        a.send(#"{"notification":true,"method":"read","data":{"k":"v"}}"#)
        a.send(#"{"notification":true,"method":"broken","data":{"k":}}"#)
        scheduler.runUntilIdle()
        #expect(methods == ["skip", "read"])
        #expect(data == [["k": "v"]])
    }
}
