import Protoo
import ProtooApps

/// Message decode and encode on conference-shaped messages.
enum CodecBenchmarks {
    /// A realistic mix: mostly small server notifications, some requests and responses.
    static let corpus: [String] = [
        #"{"notification":true,"method":"downlinkBwe","data":{"desiredBitrate":1500000,"effectiveDesiredBitrate":1500000,"availableBitrate":2100000}}"#,
        #"{"notification":true,"method":"activeSpeaker","data":{"peerId":"k3j9x0qa","volume":-42}}"#,
        #"{"request":true,"id":4823001,"method":"newConsumer","data":{"peerId":"k3j9x0qa","producerId":"0f9c5d5e-6b0e-4b8e-9a55-3f0c2f5e9a11","id":"c1a4b6e2-77f3-4d0e-8b1d-90f4b3e2c001","kind":"audio","rtpParameters":{"codecs":[{"mimeType":"audio/opus","payloadType":100,"clockRate":48000,"channels":2,"parameters":{"minptime":10,"useinbandfec":1},"rtcpFeedback":[{"type":"transport-cc","parameter":""}]}],"headerExtensions":[{"uri":"urn:ietf:params:rtp-hdrext:sdes:mid","id":1,"encrypt":false,"parameters":{}}],"encodings":[{"ssrc":923401233}],"rtcp":{"cname":"a9c2e","reducedSize":true},"mid":"0"},"type":"simple","appData":{"peerId":"k3j9x0qa"},"producerPaused":false}}"#,
        #"{"response":true,"id":4823001,"ok":true,"data":{}}"#,
        #"{"notification":true,"method":"consumerScore","data":{"consumerId":"c1a4b6e2-77f3-4d0e-8b1d-90f4b3e2c001","score":{"score":10,"producerScore":10,"producerScores":[10]}}}"#,
        #"{"request":true,"id":77,"method":"connectWebRtcTransport","data":{"transportId":"t-6b0e","dtlsParameters":{"role":"client","fingerprints":[{"algorithm":"sha-256","value":"AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99"}]}}}"#,
        #"{"response":true,"id":77,"errorCode":500,"errorReason":"Peer not yet joined"}"#,
        #"{"notification":true,"method":"activeSpeaker","data":{"peerId":null}}"#,
    ]

    static func run(_ r: BenchmarkRunner) throws {
        let bytes = corpus.reduce(0) { $0 + $1.utf8.count }
        let decodeRate = r.throughput {
            for text in corpus { blackHole(try? Message.decode(text)) }
            return corpus.count
        }
        r.record("codec", "decode", decodeRate, "msg/s")
        r.record("codec", "decode bytes", decodeRate * Double(bytes) / Double(corpus.count) / 1e6, "MB/s")
        let messages = corpus.map { try! Message.decode($0) }
        let encodeRate = r.throughput {
            for m in messages { blackHole(m.encode()) }
            return messages.count
        }
        r.record("codec", "encode", encodeRate, "msg/s")
        r.record("codec", "encode bytes", encodeRate * Double(bytes) / Double(corpus.count) / 1e6, "MB/s")

        // What every receiver does to every frame: check the JSON without building anything. The
        // payload is a video consumer's rtpParameters, the bulk of a conference's join traffic.
        var random = SeededRandom(seed: 5)
        var builder = JSONBuilder(capacity: 2048)
        ConferencePayloads.writeRtpParameters(kind: "video", mid: "1", &random, into: &builder)
        let payload = Array(JSONText(unchecked: builder).bytes)
        let validateRate = r.throughput {
            payload.withUnsafeBufferPointer { p in
                for _ in 0..<100 { blackHole(JSONParser.isValid(p)) }
            }
            return 100
        }
        let exactRate = r.throughput {
            payload.withUnsafeBufferPointer { p in
                for _ in 0..<100 { blackHole(JSONParser.isValidWithoutFastPath(p)) }
            }
            return 100
        }
        r.record("codec", "validate rtpParameters, exact validator alone (baseline)", exactRate * Double(payload.count) / 1e6, "MB/s")
        r.record("codec", "validate rtpParameters (\(payload.count) B, no tree)", validateRate * Double(payload.count) / 1e6, "MB/s",
                 ratio: validateRate / exactRate, note: "one loop, no recursion; ratio against the exact validator")
    }
}
