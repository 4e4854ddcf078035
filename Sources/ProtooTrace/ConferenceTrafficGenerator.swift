import Protoo

/// Synthetic conference-shaped traffic (mediasoup-demo's, as the `conference` scenario simulates it):
/// join sequences with consumer fan-out, then ~1 Hz `downlinkBwe` per peer and `activeSpeaker`
/// every 800 ms to every peer while someone speaks, then leaves. Deterministic for a seed.
/// For tests and benchmarks of traces.
package struct ConferenceTrafficGenerator {
    package var rooms: Int
    package var peersPerRoom: Int
    package var seconds: Int
    /// Share of time someone speaks.
    package var speakingShare: Double
    private var random: SeededRandom

    package init(seed: UInt64, rooms: Int = 2, peersPerRoom: Int = 6, seconds: Int = 300, speakingShare: Double = 0.7) {
        self.rooms = rooms
        self.peersPerRoom = peersPerRoom
        self.seconds = seconds
        self.speakingShare = speakingShare
        random = SeededRandom(seed: seed)
    }

    /// All records, sorted by time.
    package mutating func generate() -> [TraceRecord] {
        var out: [TraceRecord] = []
        var nextConnection: ConnectionID = 1
        for r in 0..<rooms {
            let roomId = token(8)
            var joined: [(peer: String, conn: ConnectionID)] = []
            var t = Int64(r) * 1_700_000_000
            for _ in 0..<peersPerRoom {
                let peer = token(8), conn = nextConnection
                nextConnection += 1
                t += Int64(random.nextUnit() * 3e9)
                join(peer: peer, conn: conn, room: roomId, others: joined, time: &t, into: &out)
                joined.append((peer, conn))
            }
            steadyState(joined, from: t, into: &out)
            let end = Int64(seconds) * 1_000_000_000
            for (i, p) in joined.enumerated() {
                let leave = end + Int64(i) * 50_000_000
                out.append(TraceRecord(time: leave, connection: p.conn, event: .closed(code: 1000, reason: "", initiator: .client)))
                for o in joined[(i + 1)...] {
                    out.append(TraceRecord(time: leave + 1_000_000, connection: o.conn,
                                           event: .messageOut(#"{"notification":true,"method":"peerClosed","data":{"peerId":"\#(p.peer)"}}"#)))
                }
            }
        }
        out.sort { $0.time < $1.time }
        return out
    }

    private mutating func join(peer: String, conn: ConnectionID, room: String, others: [(peer: String, conn: ConnectionID)],
                               time t: inout Int64, into out: inout [TraceRecord]) {
        func add(_ c: ConnectionID, _ e: TraceEvent, after ms: Double) {
            t += Int64(ms * 1e6)
            out.append(TraceRecord(time: t, connection: c, event: e))
        }
        add(conn, .connectionRequested(target: "/?roomId=\(room)&peerId=\(peer)",
                                       headers: [TraceHeaderField(name: "Origin", value: "https://demo.example.org"),
                                                 TraceHeaderField(name: "User-Agent", value: "Mozilla/5.0 (X11; Linux x86_64) Chrome/124.0")],
                                       remoteAddress: "10.0.\(random.next() % 250).\(random.next() % 250):\(40000 + random.next() % 20000)"), after: 0)
        add(conn, .accepted, after: 0.2)
        add(conn, .messageOut(#"{"notification":true,"method":"mediasoup-version","data":{"version":"3.14.1"}}"#), after: 0.1)
        var id = Int(random.next() % 10_000_000)
        func request(_ method: String, _ data: String, response: String) {
            id += 1
            add(conn, .messageIn(#"{"request":true,"id":\#(id),"method":"\#(method)","data":\#(data)}"#), after: 20 + random.nextUnit() * 30)
            add(conn, .messageOut(#"{"response":true,"id":\#(id),"ok":true,"data":\#(response)}"#), after: 1 + random.nextUnit() * 4)
        }
        request("getRouterRtpCapabilities", "{}", response: Self.rtpCapabilities)
        for dir in ["send", "recv"] {
            request("createWebRtcTransport", #"{"forceTcp":false,"producing":\#(dir == "send"),"consuming":\#(dir == "recv"),"sctpCapabilities":{"numStreams":{"OS":1024,"MIS":1024}}}"#,
                    response: #"{"id":"\#(uuid())","iceParameters":{"usernameFragment":"\#(token(16))","password":"\#(token(32))","iceLite":true},"iceCandidates":[{"foundation":"udpcandidate","priority":1076302079,"ip":"203.0.113.7","address":"203.0.113.7","protocol":"udp","port":\#(40000 + random.next() % 9999),"type":"host"}],"dtlsParameters":{"fingerprints":[{"algorithm":"sha-256","value":"\#(fingerprint())"}],"role":"auto"},"sctpParameters":{"port":5000,"OS":1024,"MIS":1024,"maxMessageSize":262144}}"#)
        }
        let peersList = others.map { #"{"id":"\#($0.peer)","displayName":"Guest \#($0.peer.prefix(3))","device":{"flag":"chrome","name":"Chrome","version":"124.0"}}"# }
        request("join", #"{"displayName":"Guest \#(peer.prefix(3))","device":{"flag":"chrome","name":"Chrome","version":"124.0"},"rtpCapabilities":\#(Self.rtpCapabilities),"sctpCapabilities":{"numStreams":{"OS":1024,"MIS":1024}}}"#,
                response: #"{"peers":[\#(peersList.joined(separator: ","))]}"#)
        for _ in 0..<2 {
            request("connectWebRtcTransport", #"{"transportId":"\#(uuid())","dtlsParameters":{"role":"client","fingerprints":[{"algorithm":"sha-256","value":"\#(fingerprint())"}]}}"#, response: "{}")
        }
        for kind in ["audio", "video"] {
            request("produce", #"{"transportId":"\#(uuid())","kind":"\#(kind)","rtpParameters":{"mid":"\#(kind == "audio" ? 0 : 1)","codecs":[{"mimeType":"\#(kind == "audio" ? "audio/opus" : "video/VP8")","payloadType":\#(kind == "audio" ? 111 : 96),"clockRate":\#(kind == "audio" ? 48000 : 90000),"parameters":{},"rtcpFeedback":[{"type":"transport-cc","parameter":""}]}],"encodings":[{"ssrc":\#(random.next() % 4_000_000_000)}],"rtcp":{"cname":"\#(token(8))","reducedSize":true}},"appData":{}}"#,
                    response: #"{"id":"\#(uuid())"}"#)
        }
        for label in ["chat", "bot"] {
            request("produceData", #"{"transportId":"\#(uuid())","sctpStreamParameters":{"streamId":\#(random.next() % 1024),"ordered":true},"label":"\#(label)","protocol":"","appData":{"info":"my-\#(label)-DataProducer"}}"#,
                    response: #"{"id":"\#(uuid())"}"#)
        }
        // Fan-out: consumers of every other peer for the joiner, and of the joiner for every other.
        for o in others {
            add(o.conn, .messageOut(#"{"notification":true,"method":"newPeer","data":{"id":"\#(peer)","displayName":"Guest \#(peer.prefix(3))","device":{"flag":"chrome","name":"Chrome","version":"124.0"}}}"#), after: 0.3)
            for (target, source) in [(conn, o.peer), (o.conn, peer)] {
                for kind in ["audio", "video"] {
                    let rid = Int(random.next() % 10_000_000), consumer = uuid()
                    add(target, .messageOut(#"{"request":true,"id":\#(rid),"method":"newConsumer","data":{"peerId":"\#(source)","producerId":"\#(uuid())","id":"\#(consumer)","kind":"\#(kind)","rtpParameters":{"codecs":[{"mimeType":"\#(kind == "audio" ? "audio/opus" : "video/VP8")","payloadType":100,"clockRate":48000,"channels":2,"parameters":{"minptime":10,"useinbandfec":1},"rtcpFeedback":[{"type":"transport-cc","parameter":""}]}],"headerExtensions":[{"uri":"urn:ietf:params:rtp-hdrext:sdes:mid","id":1,"encrypt":false,"parameters":{}}],"encodings":[{"ssrc":\#(random.next() % 4_000_000_000)}],"rtcp":{"cname":"\#(token(5))","reducedSize":true},"mid":"\#(random.next() % 20)"},"type":"\#(kind == "audio" ? "simple" : "simulcast")","appData":{"peerId":"\#(source)"},"producerPaused":false}}"#), after: 0.5)
                    add(target, .messageIn(#"{"response":true,"id":\#(rid),"ok":true,"data":{}}"#), after: 15 + random.nextUnit() * 20)
                    add(target, .messageOut(#"{"notification":true,"method":"consumerScore","data":{"consumerId":"\#(consumer)","score":{"score":10,"producerScore":10,"producerScores":[10]}}}"#), after: 200)
                }
            }
        }
    }

    private mutating func steadyState(_ peers: [(peer: String, conn: ConnectionID)], from start: Int64, into out: inout [TraceRecord]) {
        let end = Int64(seconds) * 1_000_000_000
        for p in peers {
            var t = start + Int64(random.nextUnit() * 1e9)
            var bitrate = 1_500_000
            while t < end {
                bitrate = max(200_000, min(3_000_000, bitrate + Int(random.next() % 200_001) - 100_000))
                out.append(TraceRecord(time: t, connection: p.conn, event: .messageOut(
                    #"{"notification":true,"method":"downlinkBwe","data":{"desiredBitrate":\#(bitrate),"effectiveDesiredBitrate":\#(bitrate),"availableBitrate":\#(bitrate + Int(random.next() % 600_000))}}"#)))
                t += 1_000_000_000 + Int64(random.next() % 20_000_000)
            }
        }
        var t = start
        var speaker: String? = nil
        while t < end {
            if random.nextUnit() < 0.05 || speaker == nil {
                speaker = random.nextUnit() < speakingShare ? peers[Int(random.next() % UInt64(peers.count))].peer : nil
            }
            let text = speaker.map { #"{"notification":true,"method":"activeSpeaker","data":{"peerId":"\#($0)","volume":\#(-20 - Int(random.next() % 60))}}"# }
                ?? #"{"notification":true,"method":"activeSpeaker","data":{"peerId":null}}"#
            for p in peers { out.append(TraceRecord(time: t + Int64(random.next() % 1_000_000), connection: p.conn, event: .messageOut(text))) }
            t += 800_000_000
        }
    }

    private mutating func token(_ n: Int) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
        return String(decoding: (0..<n).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }, as: UTF8.self)
    }

    private mutating func uuid() -> String {
        let hex = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        for i in 0..<32 {
            if [8, 12, 16, 20].contains(i) { bytes.append(UInt8(ascii: "-")) }
            bytes.append(hex[Int(random.next() % 16)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private mutating func fingerprint() -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        return (0..<32).map { _ in String(decoding: [hex[Int(random.next() % 16)], hex[Int(random.next() % 16)]], as: UTF8.self) }.joined(separator: ":")
    }

    /// A router's RTP capabilities (~4.6 KB in the real app; same text for every join).
    static let rtpCapabilities: String = {
        var codecs: [String] = []
        for (i, mime) in ["audio/opus", "video/VP8", "video/rtx", "video/VP9", "video/rtx", "video/H264", "video/rtx", "video/H264", "video/rtx", "video/AV1", "video/rtx"].enumerated() {
            codecs.append(#"{"kind":"\#(mime.hasPrefix("audio") ? "audio" : "video")","mimeType":"\#(mime)","preferredPayloadType":\#(100 + i),"clockRate":\#(mime.hasPrefix("audio") ? 48000 : 90000),"parameters":{"level-asymmetry-allowed":1,"packetization-mode":\#(i % 2),"profile-level-id":"4d0032","x-google-start-bitrate":1000},"rtcpFeedback":[{"type":"nack","parameter":""},{"type":"nack","parameter":"pli"},{"type":"ccm","parameter":"fir"},{"type":"goog-remb","parameter":""},{"type":"transport-cc","parameter":""}]}"#)
        }
        let exts = ["urn:ietf:params:rtp-hdrext:sdes:mid", "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id", "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
                    "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time", "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
                    "urn:ietf:params:rtp-hdrext:ssrc-audio-level", "urn:3gpp:video-orientation", "urn:ietf:params:rtp-hdrext:toffset"].enumerated().map {
            #"{"kind":"video","uri":"\#($0.element)","preferredId":\#($0.offset + 1),"preferredEncrypt":false,"direction":"sendrecv"}"#
        }
        return #"{"codecs":[\#(codecs.joined(separator: ","))],"headerExtensions":[\#(exts.joined(separator: ","))]}"#
    }()
}
