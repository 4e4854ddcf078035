import Protoo
import ProtooApps
import ProtooSimulator

/// The data of the simulated conference client's requests, written straight to JSON text: the
/// same bytes as the `JSONValue` literals in the comments (checked by `ConferenceRequestsTests`),
/// with the same random draws in the same order, without building and encoding a tree per request.
/// Constant parts (the 4.6 KB router capabilities of every `join`) are encoded once.
enum ConferenceRequests {
    /// `["forceTcp": false, "producing": true, "consuming": false, "sctpCapabilities": …]`.
    static let createSendTransport = createTransport(producing: true)
    /// `["forceTcp": false, "producing": false, "consuming": true, "sctpCapabilities": …]`.
    static let createRecvTransport = createTransport(producing: false)

    private static func createTransport(producing: Bool) -> JSONText {
        JSONText(["forceTcp": false, "producing": .bool(producing), "consuming": .bool(!producing),
                  "sctpCapabilities": ConferencePayloads.sctpCapabilities])
    }

    private static let device = JSONText(["flag": "chrome", "name": "Chrome", "version": "131.0.0.0"])
    private static let sctpCapabilities = JSONText(ConferencePayloads.sctpCapabilities)

    /// `["displayName": name, "device": …, "rtpCapabilities": …, "sctpCapabilities": …]`.
    static func join(displayName: String) -> JSONText {
        var b = JSONBuilder(capacity: ConferencePayloads.rtpCapabilitiesText.bytes.count + 256)
        b.raw("{\"displayName\":"); b.string(displayName)
        b.raw(",\"device\":"); b.raw(device)
        b.raw(",\"rtpCapabilities\":"); b.raw(ConferencePayloads.rtpCapabilitiesText)
        b.raw(",\"sctpCapabilities\":"); b.raw(sctpCapabilities)
        b.raw("}")
        return JSONText(unchecked: b)
    }

    /// `["transportId": id, "dtlsParameters": ConferencePayloads.clientDtls(&random)]`.
    static func connectTransport(_ transportId: String, _ random: inout SeededRandom) -> JSONText {
        let fingerprint = ConferencePayloads.fingerprint(&random, bytes: 32)
        var b = JSONBuilder(capacity: 320)
        b.raw("{\"transportId\":"); b.string(transportId)
        b.raw(",\"dtlsParameters\":{\"role\":\"client\",\"fingerprints\":[{\"algorithm\":\"sha-256\",\"value\":")
        b.string(fingerprint)
        b.raw("}]}}")
        return JSONText(unchecked: b)
    }

    /// `["transportId": id, "kind": kind, "rtpParameters": ConferencePayloads.rtpParameters(kind:mid:_:),
    /// "appData": ["source": source]]`.
    static func produce(_ transportId: String, kind: String, mid: String, source: String, _ random: inout SeededRandom) -> JSONText {
        var b = JSONBuilder(capacity: 2048)
        b.raw("{\"transportId\":"); b.string(transportId)
        b.raw(",\"kind\":"); b.string(kind)
        b.raw(",\"rtpParameters\":")
        ConferencePayloads.writeRtpParameters(kind: kind, mid: mid, &random, into: &b)
        b.raw(",\"appData\":{\"source\":"); b.string(source)
        b.raw("}}")
        return JSONText(unchecked: b)
    }

    /// `["transportId": id, "sctpStreamParameters": ConferencePayloads.sctpStream(id:), "label": label,
    /// "protocol": "", "appData": ["info": info]]`.
    static func produceData(_ transportId: String, streamId: Int, label: String, info: String) -> JSONText {
        var b = JSONBuilder(capacity: 256)
        b.raw("{\"transportId\":"); b.string(transportId)
        b.raw(",\"sctpStreamParameters\":{\"streamId\":"); b.int(streamId)
        b.raw(",\"ordered\":false,\"maxRetransmits\":1},\"label\":"); b.string(label)
        b.raw(",\"protocol\":\"\",\"appData\":{\"info\":"); b.string(info)
        b.raw("}}")
        return JSONText(unchecked: b)
    }
}
