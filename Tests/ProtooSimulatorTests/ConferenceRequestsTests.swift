import Protoo
import ProtooApps
import Testing
@testable import ProtooSimulator
@testable import ProtooScenarios

/// Each pre-written request equals the encoding of the `JSONValue` it replaces, byte for byte,
/// and leaves the random source where the value would (published digests depend on both).
@Suite struct ConferenceRequestsTests {
    private func text(_ value: JSONValue) -> [UInt8] { JSONText(value).bytes }

    @Test func constantRequests() {
        for producing in [true, false] {
            let value: JSONValue = ["forceTcp": false, "producing": .bool(producing), "consuming": .bool(!producing),
                                    "sctpCapabilities": ConferencePayloads.sctpCapabilities]
            let written = producing ? ConferenceRequests.createSendTransport : ConferenceRequests.createRecvTransport
            #expect(written.bytes == text(value))
        }
        for name in ["Sim k3j9x0qa", "Sim \"quoted\" \\ é #2"] {
            let value: JSONValue = [
                "displayName": .string(name),
                "device": ["flag": "chrome", "name": "Chrome", "version": "131.0.0.0"],
                "rtpCapabilities": ConferencePayloads.rtpCapabilities,
                "sctpCapabilities": ConferencePayloads.sctpCapabilities,
            ]
            #expect(ConferenceRequests.join(displayName: name).bytes == text(value))
        }
        for (id, label, info) in [(0, "chat", "my-chat-DataProducer"), (1, "bot", "my-bot-DataProducer")] {
            let value: JSONValue = ["transportId": "t-1", "sctpStreamParameters": ConferencePayloads.sctpStream(id: id),
                                    "label": .string(label), "protocol": "", "appData": ["info": .string(info)]]
            #expect(ConferenceRequests.produceData("t-1", streamId: id, label: label, info: info).bytes == text(value))
        }
    }

    @Test(arguments: [1, 2, 99])
    func randomRequestsDrawTheSameNumbers(seed: UInt64) {
        var a = SeededRandom(seed: seed), b = SeededRandom(seed: seed)
        let connect: JSONValue = ["transportId": "t-9", "dtlsParameters": ConferencePayloads.clientDtls(&a)]
        #expect(ConferenceRequests.connectTransport("t-9", &b).bytes == text(connect))
        for (kind, mid, source) in [("audio", "0", "mic"), ("video", "1", "webcam"), ("video", "v3", "webcam")] {
            let produce: JSONValue = ["transportId": "t-9", "kind": .string(kind),
                                      "rtpParameters": ConferencePayloads.rtpParameters(kind: kind, mid: mid, &a),
                                      "appData": ["source": .string(source)]]
            #expect(ConferenceRequests.produce("t-9", kind: kind, mid: mid, source: source, &b).bytes == text(produce))
        }
        #expect(a.next() == b.next())
    }
}
