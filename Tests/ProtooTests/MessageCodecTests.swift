import Testing
@testable import Protoo

@Suite struct MessageCodecTests {
    @Test(arguments: [
        (#"{"request":true,"id":12,"method":"echo","data":{"a":1}}"#, Message.request(id: 12, method: "echo", data: ["a": 1])),
        (#"{"request":true,"id":12,"method":"echo"}"#, .request(id: 12, method: "echo", data: .emptyObject)),
        (#"{"request":true,"id":12,"method":"echo","data":null}"#, .request(id: 12, method: "echo", data: .emptyObject)),
        (#"{"request":true,"id":12,"method":"echo","data":0}"#, .request(id: 12, method: "echo", data: .emptyObject)),
        (#"{"request":true,"id":12,"method":"echo","data":""}"#, .request(id: 12, method: "echo", data: .emptyObject)),
        (#"{"request":true,"id":12,"method":"echo","data":[1]}"#, .request(id: 12, method: "echo", data: [1])),
        (#"{"request":1,"id":0,"method":""}"#, .request(id: 0, method: "", data: .emptyObject)),
        (#"{"request":true,"id":3.0,"method":"m"}"#, .request(id: 3, method: "m", data: .emptyObject)),
        (#"{"response":true,"id":5,"ok":true,"data":{"x":[1,2]}}"#, .successResponse(id: 5, data: ["x": [1, 2]])),
        (#"{"response":true,"id":5,"ok":true}"#, .successResponse(id: 5, data: .emptyObject)),
        (#"{"response":true,"id":5,"errorCode":503,"errorReason":"WHO KNOWS!"}"#, .errorResponse(id: 5, code: 503, reason: "WHO KNOWS!")),
        (#"{"response":true,"id":5,"ok":false,"errorCode":500}"#, .errorResponse(id: 5, code: 500, reason: "")),
        (#"{"response":true,"id":5}"#, .errorResponse(id: 5, code: 0, reason: "")),
        (#"{"notification":true,"method":"hi","data":{"u":"日本"}}"#, .notification(method: "hi", data: ["u": "日本"])),
        (#"{"notification":true,"method":"hi"}"#, .notification(method: "hi", data: .emptyObject)),
        (#"{"request":true,"response":true,"id":1,"method":"m"}"#, .request(id: 1, method: "m", data: .emptyObject)),
        (#"{"request":false,"response":true,"id":1,"ok":true}"#, .successResponse(id: 1, data: .emptyObject)),
    ] as [(String, Message)])
    func decodesValid(text: String, expected: Message) throws {
        #expect(try Message.decode(text) == expected)
    }

    @Test(arguments: [
        ("not json", MessageDecodingError.invalidJSON(JSONParseError(offset: 0, reason: "unexpected character"))),
        ("null", .notAnObject),
        ("[]", .notAnObject),
        (#"[{"request":true,"id":1,"method":"m"}]"#, .notAnObject),
        ("42", .notAnObject),
        (#""request""#, .notAnObject),
        ("{}", .unknownKind),
        (#"{"id":1,"method":"m"}"#, .unknownKind),
        (#"{"request":false,"id":1,"method":"m"}"#, .unknownKind),
        (#"{"request":0,"id":1,"method":"m"}"#, .unknownKind),
        (#"{"request":true,"id":1}"#, .invalidMethod),
        (#"{"request":true,"id":1,"method":5}"#, .invalidMethod),
        (#"{"request":true,"id":1,"method":null}"#, .invalidMethod),
        (#"{"request":true,"method":"m"}"#, .invalidID),
        (#"{"request":true,"id":"1","method":"m"}"#, .invalidID),
        (#"{"request":true,"id":null,"method":"m"}"#, .invalidID),
        (#"{"request":true,"id":1.5,"method":"m"}"#, .nonIntegerID),
        (#"{"response":true,"ok":true}"#, .invalidID),
        (#"{"response":true,"id":"7","ok":true}"#, .invalidID),
        (#"{"notification":true}"#, .invalidMethod),
        (#"{"notification":true,"method":["x"]}"#, .invalidMethod),
    ] as [(String, MessageDecodingError)])
    func rejectsInvalid(text: String, expected: MessageDecodingError) {
        do {
            let m = try Message.decode(text)
            Issue.record("decoded \(m) from \(text)")
        } catch {
            switch (error.kind, expected.kind) {
            case (.invalidJSON, .invalidJSON): break
            default: #expect(error == expected)
            }
        }
    }

    @Test(arguments: [
        (Message.request(id: 7, method: "m", data: .emptyObject), #"{"request":true,"id":7,"method":"m","data":{}}"#),
        (.successResponse(id: 7, data: ["a": "b"]), #"{"response":true,"id":7,"ok":true,"data":{"a":"b"}}"#),
        (.errorResponse(id: 7, code: 500, reason: "x \"y\""), #"{"response":true,"id":7,"errorCode":500,"errorReason":"x \"y\""}"#),
        (.notification(method: "n", data: ["k": [1, 2.5, nil, true]]), #"{"notification":true,"method":"n","data":{"k":[1,2.5,null,true]}}"#),
    ] as [(Message, String)])
    func encodesWithProtooKeyOrder(message: Message, text: String) throws {
        #expect(message.encode() == text)
        #expect(try Message.decode(text) == message)
    }
}
