import Protoo
import Testing

/// What goes on the wire matches protoo-server and protoo-client byte for byte where JSON leaves
/// freedom: numbers as JavaScript's JSON.stringify writes them, falsy data as `{}`.
@Suite struct WireCompatibilityTests {
    @Test(arguments: [
        (1.0, "1"), (-1.0, "-1"), (0.5, "0.5"), (0.0, "0"), (-0.0, "0"), (1e-5, "0.00001"), (1e-6, "0.000001"), (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"), (123.456, "123.456"), (1e20, "100000000000000000000"), (1e21, "1e+21"),
        (12345678901234567000.0, "12345678901234567000"), (1.7976931348623157e308, "1.7976931348623157e+308"),
        (Double.leastNonzeroMagnitude, "5e-324"), (2.5, "2.5"), (100.0, "100"), (0.1 + 0.2, "0.30000000000000004"), (-1.5e300, "-1.5e+300"),
    ])
    func numbersAreWrittenAsJSONStringifyWritesThem(_ value: Double, _ text: String) {
        #expect(JSONWriter.string(.double(value)) == text)
    }

    @Test func falsyDataIsSentAsAnEmptyObject() {
        for data: JSONValue in [.null, .bool(false), .int(0), .double(0), .string("")] {
            #expect(Message.notification(method: "m", data: data).encode() == #"{"notification":true,"method":"m","data":{}}"#)
            #expect(Message.request(id: 1, method: "m", data: data).encode() == #"{"request":true,"id":1,"method":"m","data":{}}"#)
            #expect(Message.successResponse(id: 1, data: data).encode() == #"{"response":true,"id":1,"ok":true,"data":{}}"#)
        }
        #expect(Message.notification(method: "m", data: .int(3)).encode() == #"{"notification":true,"method":"m","data":3}"#)
    }
}
