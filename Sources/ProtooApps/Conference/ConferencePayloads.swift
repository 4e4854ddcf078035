import Protoo

/// Synthetic but realistically shaped and sized payloads of a mediasoup-style conference (those
/// mediasoup-demo's client and server exchange). No media: ids and parameters are made up, shapes are real.
/// Both the server app and the simulated clients build their messages here.
public enum ConferencePayloads {
    /// A UUID-shaped id drawn from the engine's random source.
    public static func uuid(_ random: inout SeededRandom) -> String {
        String(unsafeUninitializedCapacity: 36) { buffer in
            let hex: StaticString = "0123456789abcdef"
            let digits = hex.utf8Start
            var o = 0
            for i in 0..<32 {
                if i == 8 || i == 12 || i == 16 || i == 20 {
                    buffer[o] = UInt8(ascii: "-")
                    o += 1
                }
                buffer[o] = digits[Int(random.next() & 0xF)]
                o += 1
            }
            return 36
        }
    }

    /// An 8-character lowercase id, like the demo's browser peer ids.
    public static func peerId(_ random: inout SeededRandom) -> String {
        random.alphanumericID(length: 8)
    }

    static func codec(_ mime: String, _ kind: String, _ clockRate: Int, pt: Int, channels: Int? = nil,
                      parameters: JSONValue = .emptyObject) -> JSONValue {
        var o: JSONObject = ["kind": .string(kind), "mimeType": .string(mime), "preferredPayloadType": .int(Int64(pt)),
                             "clockRate": .int(Int64(clockRate))]
        if let channels { o["channels"] = .int(Int64(channels)) }
        o["parameters"] = parameters
        o["rtcpFeedback"] = kind == "audio"
            ? [["type": "nack", "parameter": ""], ["type": "transport-cc", "parameter": ""]]
            : [["type": "nack", "parameter": ""], ["type": "nack", "parameter": "pli"], ["type": "ccm", "parameter": "fir"],
               ["type": "goog-remb", "parameter": ""], ["type": "transport-cc", "parameter": ""]]
        return .object(o)
    }

    static let headerExtensionURIs = [
        "urn:ietf:params:rtp-hdrext:sdes:mid", "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
        "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id", "http://tools.ietf.org/html/draft-ietf-avtext-framemarking-07",
        "urn:ietf:params:rtp-hdrext:framemarking", "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
        "urn:3gpp:video-orientation", "urn:ietf:params:rtp-hdrext:toffset",
        "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
        "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
        "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time",
    ]

    /// Router RTP capabilities (≈4.6 KB), the answer to `getRouterRtpCapabilities` and the bulk of `join`.
    public static let rtpCapabilities: JSONValue = {
        var codecs: [JSONValue] = [
            codec("audio/opus", "audio", 48000, pt: 100, channels: 2, parameters: ["minptime": 10, "useinbandfec": 1]),
        ]
        var pt = 101
        for (mime, params) in [("video/VP8", JSONValue.emptyObject), ("video/VP9", ["profile-id": 2]),
                               ("video/H264", ["packetization-mode": 1, "level-asymmetry-allowed": 1, "profile-level-id": "4d0032"]),
                               ("video/H264", ["packetization-mode": 1, "level-asymmetry-allowed": 1, "profile-level-id": "42e01f"])] {
            codecs.append(codec(mime, "video", 90000, pt: pt, parameters: params))
            codecs.append(["kind": "video", "mimeType": "video/rtx", "preferredPayloadType": .int(Int64(pt + 1)),
                           "clockRate": 90000, "parameters": ["apt": .int(Int64(pt))], "rtcpFeedback": []])
            pt += 2
        }
        var extensions: [JSONValue] = []
        for (i, uri) in headerExtensionURIs.enumerated() {
            for kind in ["audio", "video"] where !(kind == "video" && uri.hasSuffix("audio-level")) {
                extensions.append(["kind": .string(kind), "uri": .string(uri), "preferredId": .int(Int64(i + 1)),
                                   "preferredEncrypt": false, "direction": "sendrecv"])
            }
        }
        return ["codecs": .array(codecs), "headerExtensions": .array(extensions)]
    }()

    /// ``rtpCapabilities`` encoded once (the server answers every `getRouterRtpCapabilities` with it).
    public static let rtpCapabilitiesText = JSONText(rtpCapabilities)

    /// SCTP capabilities as the browser sends them.
    public static let sctpCapabilities: JSONValue = ["numStreams": ["OS": 1024, "MIS": 1024]]

    /// `createWebRtcTransport` response (≈1.3 KB).
    public static func webRtcTransport(id: String, _ random: inout SeededRandom) -> JSONValue {
        let fingerprints: [JSONValue] = ["sha-1", "sha-224", "sha-256", "sha-384", "sha-512"].map { alg in
            ["algorithm": .string(alg), "value": .string(fingerprint(&random, bytes: alg == "sha-1" ? 20 : 32))]
        }
        return [
            "id": .string(id),
            "iceParameters": ["usernameFragment": .string(uuid(&random)), "password": .string(uuid(&random) + uuid(&random)), "iceLite": true],
            "iceCandidates": [
                ["foundation": "udpcandidate", "priority": 1076302079, "ip": "198.51.100.7", "address": "198.51.100.7",
                 "protocol": "udp", "port": .int(Int64(40000 + random.next(upperBound: UInt64(9999)))), "type": "host"],
                ["foundation": "tcpcandidate", "priority": 1076276479, "ip": "198.51.100.7", "address": "198.51.100.7",
                 "protocol": "tcp", "port": .int(Int64(40000 + random.next(upperBound: UInt64(9999)))), "type": "host", "tcpType": "passive"],
            ],
            "dtlsParameters": ["fingerprints": .array(fingerprints), "role": "auto"],
            "sctpParameters": ["port": 5000, "OS": 1024, "MIS": 1024, "maxMessageSize": 262144],
        ]
    }

    public static func fingerprint(_ random: inout SeededRandom, bytes: Int) -> String {
        guard bytes > 0 else { return "" }
        return String(unsafeUninitializedCapacity: bytes * 3 - 1) { buffer in
            let hex: StaticString = "0123456789ABCDEF"
            let digits = hex.utf8Start
            var o = 0
            for i in 0..<bytes {
                if i > 0 { buffer[o] = UInt8(ascii: ":"); o += 1 }
                let b = Int(random.next() & 0xFF)
                buffer[o] = digits[b >> 4]
                buffer[o + 1] = digits[b & 0xF]
                o += 2
            }
            return o
        }
    }

    /// Writes the same bytes as encoding ``webRtcTransport(id:_:)``, with the same random draws in
    /// the same order, without building the value.
    public static func writeWebRtcTransport(id: String, _ random: inout SeededRandom, into b: inout JSONBuilder) {
        // Drawn first, as the value's fingerprints are.
        let fingerprints = ["sha-1", "sha-224", "sha-256", "sha-384", "sha-512"].map { alg in
            (alg, fingerprint(&random, bytes: alg == "sha-1" ? 20 : 32))
        }
        b.raw("{\"id\":"); b.string(id)
        b.raw(",\"iceParameters\":{\"usernameFragment\":"); b.string(uuid(&random))
        b.raw(",\"password\":"); b.string(uuid(&random) + uuid(&random))
        b.raw(",\"iceLite\":true},\"iceCandidates\":[{\"foundation\":\"udpcandidate\",\"priority\":1076302079,")
        b.raw("\"ip\":\"198.51.100.7\",\"address\":\"198.51.100.7\",\"protocol\":\"udp\",\"port\":")
        b.int(Int64(40000 + random.next(upperBound: UInt64(9999))))
        b.raw(",\"type\":\"host\"},{\"foundation\":\"tcpcandidate\",\"priority\":1076276479,")
        b.raw("\"ip\":\"198.51.100.7\",\"address\":\"198.51.100.7\",\"protocol\":\"tcp\",\"port\":")
        b.int(Int64(40000 + random.next(upperBound: UInt64(9999))))
        b.raw(",\"type\":\"host\",\"tcpType\":\"passive\"}],\"dtlsParameters\":{\"fingerprints\":[")
        for (i, f) in fingerprints.enumerated() {
            if i > 0 { b.raw(",") }
            b.raw("{\"algorithm\":"); b.string(f.0)
            b.raw(",\"value\":"); b.string(f.1)
            b.raw("}")
        }
        b.raw("],\"role\":\"auto\"},\"sctpParameters\":{\"port\":5000,\"OS\":1024,\"MIS\":1024,\"maxMessageSize\":262144}}")
    }

    /// DTLS parameters as a client sends them in `connectWebRtcTransport`.
    public static func clientDtls(_ random: inout SeededRandom) -> JSONValue {
        ["role": "client", "fingerprints": [["algorithm": "sha-256", "value": .string(fingerprint(&random, bytes: 32))]]]
    }

    /// RTP parameters of a producer or consumer (audio ≈0.9 KB, simulcast video ≈1.6 KB).
    public static func rtpParameters(kind: String, mid: String, _ random: inout SeededRandom) -> JSONValue {
        let isAudio = kind == "audio"
        let codecs: [JSONValue] = isAudio
            ? [["mimeType": "audio/opus", "payloadType": 100, "clockRate": 48000, "channels": 2,
                "parameters": ["minptime": 10, "useinbandfec": 1, "sprop-stereo": 1, "usedtx": 1],
                "rtcpFeedback": [["type": "transport-cc", "parameter": ""]]]]
            : [["mimeType": "video/VP8", "payloadType": 101, "clockRate": 90000, "parameters": .emptyObject,
                "rtcpFeedback": [["type": "goog-remb", "parameter": ""], ["type": "transport-cc", "parameter": ""],
                                 ["type": "ccm", "parameter": "fir"], ["type": "nack", "parameter": ""], ["type": "nack", "parameter": "pli"]]],
               ["mimeType": "video/rtx", "payloadType": 102, "clockRate": 90000, "parameters": ["apt": 101], "rtcpFeedback": []]]
        let extensions: [JSONValue] = headerExtensionURIs.prefix(isAudio ? 5 : 8).enumerated().map { i, uri in
            ["uri": .string(uri), "id": .int(Int64(i + 1)), "encrypt": false, "parameters": .emptyObject]
        }
        let encodings: [JSONValue] = isAudio
            ? [["ssrc": .int(Int64(random.next(upperBound: UInt64(UInt32.max)))), "dtx": false]]
            : (0..<3).map { layer in
                ["ssrc": .int(Int64(random.next(upperBound: UInt64(UInt32.max)))),
                 "rtx": ["ssrc": .int(Int64(random.next(upperBound: UInt64(UInt32.max))))],
                 "scaleResolutionDownBy": .int(Int64(1 << (2 - layer))), "maxBitrate": .int(Int64([100_000, 300_000, 900_000][layer])),
                 "rid": .string("r\(layer)"), "scalabilityMode": "L1T3", "dtx": false]
            }
        return ["codecs": .array(codecs), "headerExtensions": .array(extensions), "encodings": .array(encodings),
                "rtcp": ["cname": .string(String(uuid(&random).prefix(8))), "reducedSize": true], "mid": .string(mid)]
    }

    /// The constant parts of ``rtpParameters(kind:mid:_:)`` (codecs and header extensions) for
    /// audio and for video, encoded once.
    private static let constantRtpParts: (audio: (codecs: JSONText, extensions: JSONText),
                                          video: (codecs: JSONText, extensions: JSONText)) = {
        func parts(_ kind: String) -> (codecs: JSONText, extensions: JSONText) {
            var random = SeededRandom(seed: 0)
            let value = rtpParameters(kind: kind, mid: "", &random)
            return (JSONText(value["codecs"]!), JSONText(value["headerExtensions"]!))
        }
        return (parts("audio"), parts("video"))
    }()

    /// Writes the same bytes as encoding ``rtpParameters(kind:mid:_:)``, with the same random
    /// draws in the same order, without building the value: the constant parts are encoded once.
    public static func writeRtpParameters(kind: String, mid: String, _ random: inout SeededRandom, into b: inout JSONBuilder) {
        let isAudio = kind == "audio"
        let constant = isAudio ? constantRtpParts.audio : constantRtpParts.video
        b.raw("{\"codecs\":")
        b.raw(constant.codecs)
        b.raw(",\"headerExtensions\":")
        b.raw(constant.extensions)
        b.raw(",\"encodings\":[")
        if isAudio {
            b.raw("{\"ssrc\":")
            b.int(Int64(random.next(upperBound: UInt64(UInt32.max))))
            b.raw(",\"dtx\":false}")
        } else {
            for layer in 0..<3 {
                if layer > 0 { b.raw(",") }
                b.raw("{\"ssrc\":")
                b.int(Int64(random.next(upperBound: UInt64(UInt32.max))))
                b.raw(",\"rtx\":{\"ssrc\":")
                b.int(Int64(random.next(upperBound: UInt64(UInt32.max))))
                b.raw("},\"scaleResolutionDownBy\":")
                b.int(Int64(1 << (2 - layer)))
                b.raw(",\"maxBitrate\":")
                b.int(Int64([100_000, 300_000, 900_000][layer]))
                b.raw(",\"rid\":\"r")
                b.int(layer)
                b.raw("\",\"scalabilityMode\":\"L1T3\",\"dtx\":false}")
            }
        }
        b.raw("],\"rtcp\":{\"cname\":")
        b.string(String(uuid(&random).prefix(8)))
        b.raw(",\"reducedSize\":true},\"mid\":")
        b.string(mid)
        b.raw("}")
    }

    /// SCTP stream parameters of a data producer or consumer.
    public static func sctpStream(id: Int) -> JSONValue {
        ["streamId": .int(Int64(id)), "ordered": false, "maxRetransmits": 1]
    }

    /// Writes the same bytes as encoding ``transportStats(id:at:_:)``, with the same random draws.
    public static func writeTransportStats(id: String, at time: Instant, _ random: inout SeededRandom, into b: inout JSONBuilder) {
        let ts = Int64(time.nanoseconds / 1_000_000)
        b.raw("[{\"type\":\"webrtc-transport\",\"transportId\":"); b.string(id)
        b.raw(",\"timestamp\":"); b.int(ts)
        b.raw(",\"iceRole\":\"controlled\",\"iceState\":\"completed\",\"dtlsState\":\"connected\",\"sctpState\":\"connected\",")
        b.raw("\"iceSelectedTuple\":{\"localIp\":\"198.51.100.7\",\"localPort\":44444,\"remoteIp\":\"203.0.113.9\",")
        b.raw("\"remotePort\":55555,\"protocol\":\"udp\"},\"bytesReceived\":")
        b.int(Int64(random.next(upperBound: UInt64(1 << 30))))
        b.raw(",\"bytesSent\":"); b.int(Int64(random.next(upperBound: UInt64(1 << 30))))
        b.raw(",\"recvBitrate\":"); b.int(Int64(random.next(upperBound: UInt64(3_000_000))))
        b.raw(",\"sendBitrate\":"); b.int(Int64(random.next(upperBound: UInt64(3_000_000))))
        b.raw(",\"rtpBytesReceived\":0,\"rtpBytesSent\":0,\"rtxBytesReceived\":0,\"rtxBytesSent\":0,")
        b.raw("\"probationBytesSent\":0,\"probationSendBitrate\":0,\"availableOutgoingBitrate\":2100000,")
        b.raw("\"availableIncomingBitrate\":1500000,\"maxIncomingBitrate\":1500000,")
        b.raw("\"rtpRecvBitrate\":0,\"rtpSendBitrate\":0,\"rtxRecvBitrate\":0,\"rtxSendBitrate\":0}]")
    }

    /// Transport stats (≈0.8 KB), the answer to `getTransportStats` and friends.
    public static func transportStats(id: String, at time: Instant, _ random: inout SeededRandom) -> JSONValue {
        let ts = Int64(time.nanoseconds / 1_000_000)
        return [[
            "type": "webrtc-transport", "transportId": .string(id), "timestamp": .int(ts), "iceRole": "controlled",
            "iceState": "completed", "dtlsState": "connected", "sctpState": "connected",
            "iceSelectedTuple": ["localIp": "198.51.100.7", "localPort": 44444, "remoteIp": "203.0.113.9",
                                 "remotePort": 55555, "protocol": "udp"],
            "bytesReceived": .int(Int64(random.next(upperBound: UInt64(1 << 30)))), "bytesSent": .int(Int64(random.next(upperBound: UInt64(1 << 30)))),
            "recvBitrate": .int(Int64(random.next(upperBound: UInt64(3_000_000)))), "sendBitrate": .int(Int64(random.next(upperBound: UInt64(3_000_000)))),
            "rtpBytesReceived": 0, "rtpBytesSent": 0, "rtxBytesReceived": 0, "rtxBytesSent": 0,
            "probationBytesSent": 0, "probationSendBitrate": 0, "availableOutgoingBitrate": 2_100_000,
            "availableIncomingBitrate": 1_500_000, "maxIncomingBitrate": 1_500_000,
            "rtpRecvBitrate": 0, "rtpSendBitrate": 0, "rtxRecvBitrate": 0, "rtxSendBitrate": 0,
        ]]
    }
}
