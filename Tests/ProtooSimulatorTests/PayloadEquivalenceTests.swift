import Testing
import Protoo
@testable import ProtooApps

/// The conference app's byte-level payload writers against its `JSONValue` payloads: same bytes,
/// same random draws.
@Suite struct PayloadEquivalenceTests {
    @Test(arguments: ["audio", "video"])
    func rtpParametersWriterMatchesValue(kind: String) {
        for seed in UInt64(0)..<50 {
            var a = SeededRandom(seed: seed), b = SeededRandom(seed: seed)
            let mid = seed.isMultiple(of: 2) ? String(seed) : "v\"\(seed)"
            let expected = JSONText(ConferencePayloads.rtpParameters(kind: kind, mid: mid, &a))
            var builder = JSONBuilder()
            ConferencePayloads.writeRtpParameters(kind: kind, mid: mid, &b, into: &builder)
            #expect(JSONText(unchecked: builder) == expected)
            // Same draws: the generators are in the same state afterwards.
            #expect(a.next() == b.next())
        }
    }

    @Test func webRtcTransportWriterMatchesValue() {
        for seed in UInt64(0)..<50 {
            var a = SeededRandom(seed: seed), b = SeededRandom(seed: seed)
            let id = "t-\(seed)"
            let expected = JSONText(ConferencePayloads.webRtcTransport(id: id, &a))
            var builder = JSONBuilder()
            ConferencePayloads.writeWebRtcTransport(id: id, &b, into: &builder)
            #expect(JSONText(unchecked: builder) == expected)
            #expect(a.next() == b.next())
        }
    }

    @Test func transportStatsWriterMatchesValue() {
        for seed in UInt64(0)..<20 {
            var a = SeededRandom(seed: seed), b = SeededRandom(seed: seed)
            let at = Instant(nanoseconds: Int64(seed) * 1_234_567_891)
            let expected = JSONText(ConferencePayloads.transportStats(id: "x\(seed)", at: at, &a))
            var builder = JSONBuilder()
            ConferencePayloads.writeTransportStats(id: "x\(seed)", at: at, &b, into: &builder)
            #expect(JSONText(unchecked: builder) == expected)
            #expect(a.next() == b.next())
        }
        #expect(ConferencePayloads.rtpCapabilitiesText == JSONText(ConferencePayloads.rtpCapabilities))
    }

    /// The fingerprint text against the straightforward construction.
    @Test func fingerprintMatchesReference() {
        for bytes in [0, 1, 2, 20, 32] {
            var a = SeededRandom(seed: UInt64(bytes)), b = SeededRandom(seed: UInt64(bytes))
            let hex = Array("0123456789ABCDEF")
            let reference = (0..<bytes).map { _ in
                let v = Int(a.next() & 0xFF)
                return String([hex[v >> 4], hex[v & 0xF]])
            }.joined(separator: ":")
            #expect(ConferencePayloads.fingerprint(&b, bytes: bytes) == reference)
            #expect(a.next() == b.next())
        }
    }

    @Test func uuidShape() {
        var r = SeededRandom(seed: 1)
        let id = ConferencePayloads.uuid(&r)
        #expect(id.utf8.count == 36)
        #expect(id.split(separator: "-").map(\.count) == [8, 4, 4, 4, 12])
        #expect(id.allSatisfy { $0 == "-" || $0.isHexDigit })
    }
}
