import Logging
import Protoo

/// One conference room: its protoo `Room`, its participants, and its periodic notifications.
final class ConferenceRoom {
    let id: String
    /// `unowned`: the app owns its rooms and closes them before it goes.
    unowned let app: ConferenceApp
    /// The app's context, kept here: read on every request and timer tick.
    let context: EngineContext
    let protooRoom: Room
    private(set) var participants: [String: ConferenceParticipant] = [:]
    private var bweTimer: TimerHandle?
    private var speakerTimer: TimerHandle?
    private var speaking = false
    private var lastSpeaker: String?

    var logger: Logger { context.logger }

    init(id: String, app: ConferenceApp) {
        self.id = id
        self.app = app
        self.context = app.context
        self.protooRoom = Room(context: app.context)
        startTimers()
    }

    /// Joined participants in connection order, kept as they join and leave (not recomputed on
    /// every periodic notification).
    private(set) var joined: [ConferenceParticipant] = []
    private var arrivals = 0

    func attach(_ peer: Peer) {
        let participant = ConferenceParticipant(peer: peer)
        arrivals += 1
        participant.arrival = arrivals
        participants[peer.id] = participant
        peer.onRequest { [unowned self] request in
            // The router's capabilities are at hand, and a request refused before `join` is refused
            // at once (as mediasoup-demo checks `joined` first); everything else awaits the media server.
            guard request.method != "getRouterRtpCapabilities",
                  participant.joined || Self.beforeJoin.contains(request.method) else { return try self.handle(request, from: participant) }
            // The task holds the room (strongly: the room may empty and be dropped by the app
            // while the media server works).
            self.afterMedia(request.method, answering: request) { [room = self] in
                // The peer may have left while the media server worked: nothing more to do.
                guard room.participants[participant.id] === participant else { return }
                do {
                    switch try room.handle(request, from: participant) {
                    case .accept(let data): request.accept(data)
                    case .reject(let code, let reason): request.reject(code: code, reason: reason)
                    case .deferred: break
                    }
                } catch {
                    request.reject(error)
                }
            }
            return .deferred
        }
        peer.onNotification { _ in }
        peer.onClose { [unowned self] _ in self.leave(participant) }
        peer.notify("mediasoup-version", ["version": .string(app.configuration.version)])
    }

    func close() {
        app.media.closeRouter(roomId: id)
        bweTimer?.cancel()
        speakerTimer?.cancel()
        protooRoom.close()
    }

    // MARK: Requests

    private func handle(_ request: IncomingRequest, from p: ConferenceParticipant) throws -> Reply {
        switch request.method {
        case "getRouterRtpCapabilities":
            request.accept(ConferencePayloads.rtpCapabilitiesText)
            return .deferred
        case "createWebRtcTransport":
            let transportId = ConferencePayloads.uuid(&context.random)
            p.transports.append(transportId)
            var b = JSONBuilder(capacity: 1536)
            ConferencePayloads.writeWebRtcTransport(id: transportId, &context.random, into: &b)
            request.accept(JSONText(unchecked: b))
            return .deferred
        case "connectWebRtcTransport":
            try requireTransport(request, p)
            return .accept()
        case "restartIce":
            try requireTransport(request, p)
            return .accept(["iceParameters": ["usernameFragment": .string(ConferencePayloads.uuid(&context.random)),
                                              "password": .string(ConferencePayloads.uuid(&context.random)), "iceLite": true]])
        case "join":
            return try join(request, p)
        default:
            guard p.joined else { throw ProtooError.reject(500, "Peer not yet joined") }
            return try handleJoined(request, p)
        }
    }

    private func handleJoined(_ request: IncomingRequest, _ p: ConferenceParticipant) throws -> Reply {
        // Fields are read with `member`: the app never needs the rest (rtpParameters, sctp, …).
        switch request.method {
        case "produce":
            try requireTransport(request, p)
            let kind = request.member("kind")?.stringValue ?? "audio"
            guard kind == "audio" || kind == "video" else { throw ProtooError.reject(500, "invalid kind \"\(kind)\"") }
            let producer = ConferenceParticipant.Producer(id: ConferencePayloads.uuid(&context.random), kind: kind, paused: false)
            p.producers.append(producer)
            request.accept(["id": .string(producer.id)])
            for other in joined where other !== p { createConsumer(for: other, of: producer, from: p) }
            p.peer.notify("producerScore", ["producerId": .string(producer.id), "score": [["encodingIdx": 0, "ssrc": 1111, "score": 10]]])
            return .deferred
        case "produceData":
            let dp = ConferenceParticipant.DataProducer(id: ConferencePayloads.uuid(&context.random),
                                                        label: request.member("label")?.stringValue ?? "chat")
            p.dataProducers.append(dp)
            request.accept(["id": .string(dp.id)])
            for other in joined where other !== p { createDataConsumer(for: other, of: dp, from: p) }
            return .deferred
        case "closeProducer":
            let producerId = try requireString(request, "producerId")
            guard let i = p.producers.firstIndex(where: { $0.id == producerId }) else {
                throw ProtooError.reject(500, "producer with id \"\(producerId)\" not found")
            }
            p.producers.remove(at: i)
            for other in joined where other !== p {
                let closed = other.consumers.filter { $0.producerId == producerId }
                other.consumers.removeAll { $0.producerId == producerId }
                for c in closed { other.peer.notify("consumerClosed", ["consumerId": .string(c.id)]) }
            }
            return .accept()
        case "pauseProducer", "resumeProducer":
            let producerId = try requireString(request, "producerId")
            guard let i = p.producers.firstIndex(where: { $0.id == producerId }) else {
                throw ProtooError.reject(500, "producer with id \"\(producerId)\" not found")
            }
            let pause = request.method == "pauseProducer"
            p.producers[i].paused = pause
            let method = pause ? "consumerPaused" : "consumerResumed"
            for other in joined where other !== p {
                // By index: each consumer is compared in place, not copied (four strings) first.
                let consumers = other.consumers
                for i in consumers.indices where consumers[i].producerId == producerId {
                    other.peer.notify(method) { b in
                        b.raw("{\"consumerId\":"); b.string(consumers[i].id); b.raw("}")
                    }
                }
            }
            return .accept()
        case "pauseConsumer", "resumeConsumer", "setConsumerPreferredLayers", "setConsumerPriority", "requestConsumerKeyFrame":
            let consumerId = try requireString(request, "consumerId")
            guard p.consumers.contains(where: { $0.id == consumerId }) else {
                throw ProtooError.reject(500, "consumer with id \"\(consumerId)\" not found")
            }
            return .accept()
        case "changeDisplayName":
            let name = try requireString(request, "displayName")
            let old = p.displayName
            p.displayName = name
            for other in joined where other !== p {
                other.peer.notify("peerDisplayNameChanged",
                                  ["peerId": .string(p.id), "displayName": .string(name), "oldDisplayName": .string(old)])
            }
            return .accept()
        case "getTransportStats", "getProducerStats", "getConsumerStats", "getDataProducerStats", "getDataConsumerStats":
            // Stats describe the object the request names (transportId, producerId, …).
            let key = ["getTransportStats": "transportId", "getProducerStats": "producerId", "getConsumerStats": "consumerId",
                       "getDataProducerStats": "dataProducerId", "getDataConsumerStats": "dataConsumerId"][request.method]!
            let objectId = try requireString(request, key)
            var b = JSONBuilder(capacity: 1024)
            ConferencePayloads.writeTransportStats(id: objectId, at: context.now, &context.random, into: &b)
            request.accept(JSONText(unchecked: b))
            return .deferred
        default:
            throw ProtooError.reject(500, "unknown request.method \"\(request.method)\"")
        }
    }

    /// The requests a peer may make before `join` (any other is refused with 500).
    static let beforeJoin: Set<String> = ["createWebRtcTransport", "connectWebRtcTransport", "restartIce", "join"]

    /// Runs `then` on the engine once the media server performed `call`, in an engine task; if the
    /// call throws, `request` (when given) is answered with the error, else the error is logged.
    private func afterMedia(_ call: String, answering request: IncomingRequest? = nil, then: @escaping () -> Void) {
        let media = app.media, roomId = id, logger = self.logger
        context.spawn(call) {
            do {
                try await media.perform(call, roomId: roomId)
            } catch {
                if let request { return request.reject(error) }
                return logger.warning("media call failed", metadata: ["call": "\(call)", "error": "\(error)"])
            }
            then()
        }
    }

    private func join(_ request: IncomingRequest, _ p: ConferenceParticipant) throws -> Reply {
        guard !p.joined else { throw ProtooError.reject(500, "Peer already joined") }
        p.displayName = request.member("displayName")?.stringValue ?? ""
        p.device = request.member("device") ?? .emptyObject
        p.hasRtpCapabilities = request.hasMember("rtpCapabilities")
        let others = joined
        request.accept(["peers": .array(others.map(\.summary))])
        p.joined = true
        let position = joined.firstIndex { $0.arrival > p.arrival } ?? joined.endIndex
        joined.insert(p, at: position)
        // Everything the others produce is consumed by the joiner; the others learn about the joiner.
        for other in others {
            for producer in other.producers { createConsumer(for: p, of: producer, from: other) }
            for dp in other.dataProducers { createDataConsumer(for: p, of: dp, from: other) }
        }
        let newPeer = EncodedNotification("newPeer", p.summary)
        for other in others { other.peer.notify(newPeer) }
        return .deferred
    }

    // MARK: Fan-out

    /// Sends `newConsumer` to `consumer`; awaited on its own. A rejection or timeout is only logged
    /// (the consumer leaks, paused), as in the reference app.
    private func createConsumer(for consumer: ConferenceParticipant, of producer: ConferenceParticipant.Producer,
                                from producerPeer: ConferenceParticipant) {
        guard consumer.hasRtpCapabilities else { return }
        afterMedia("consume") { [self] in
            guard !consumer.peer.isClosed else { return }
            sendNewConsumer(to: consumer, of: producer, from: producerPeer)
        }
    }

    /// The `newConsumer` request, once the media server made the consumer.
    private func sendNewConsumer(to consumer: ConferenceParticipant, of producer: ConferenceParticipant.Producer,
                                 from producerPeer: ConferenceParticipant) {
        let c = ConferenceParticipant.Consumer(id: ConferencePayloads.uuid(&context.random), producerId: producer.id,
                                               producerPeerId: producerPeer.id, kind: producer.kind)
        consumer.consumers.append(c)
        // Written straight to bytes: the same text as the `JSONValue` literal
        // ["peerId", "producerId", "id", "kind", "rtpParameters", "type", "appData", "producerPaused"]
        // (checked by the payload tests), without building its tree.
        var b = JSONBuilder(capacity: 2048)
        b.raw("{\"peerId\":"); b.string(producerPeer.id)
        b.raw(",\"producerId\":"); b.string(producer.id)
        b.raw(",\"id\":"); b.string(c.id)
        b.raw(",\"kind\":"); b.string(producer.kind)
        b.raw(",\"rtpParameters\":")
        ConferencePayloads.writeRtpParameters(kind: producer.kind, mid: String(consumer.consumers.count), &context.random, into: &b)
        b.raw(producer.kind == "video" ? ",\"type\":\"simulcast\"" : ",\"type\":\"simple\"")
        b.raw(",\"appData\":{\"peerId\":"); b.string(producerPeer.id)
        b.raw("},\"producerPaused\":"); b.bool(producer.paused)
        b.raw("}")
        consumer.peer.request("newConsumer", JSONText(unchecked: b)) { [consumer, logger] result in
            switch result {
            case .success:
                consumer.peer.notify("consumerScore") { b in
                    b.raw("{\"consumerId\":"); b.string(c.id)
                    b.raw(",\"score\":{\"score\":10,\"producerScore\":10,\"producerScores\":[10]}}")
                }
            case .failure(let error):
                logger.warning("newConsumer failed", metadata: ["peer": .untrusted(consumer.id), "error": .untrusted("\(error)")])
            }
        }
    }

    private func createDataConsumer(for consumer: ConferenceParticipant, of dp: ConferenceParticipant.DataProducer,
                                    from producerPeer: ConferenceParticipant) {
        afterMedia("consumeData") { [self] in
            guard !consumer.peer.isClosed else { return }
            sendNewDataConsumer(to: consumer, of: dp, from: producerPeer)
        }
    }

    /// The `newDataConsumer` request, once the media server made the data consumer.
    private func sendNewDataConsumer(to consumer: ConferenceParticipant, of dp: ConferenceParticipant.DataProducer,
                                     from producerPeer: ConferenceParticipant) {
        let dc = ConferenceParticipant.DataConsumer(id: ConferencePayloads.uuid(&context.random), dataProducerId: dp.id,
                                                    producerPeerId: producerPeer.id)
        consumer.dataConsumers.append(dc)
        // Written straight to bytes: the text of the `JSONValue` literal ["peerId", "dataProducerId",
        // "id", "sctpStreamParameters": sctpStream(id:), "label", "protocol": "", "appData"].
        var b = JSONBuilder(capacity: 320)
        b.raw("{\"peerId\":"); b.string(producerPeer.id)
        b.raw(",\"dataProducerId\":"); b.string(dp.id)
        b.raw(",\"id\":"); b.string(dc.id)
        b.raw(",\"sctpStreamParameters\":{\"streamId\":"); b.int(consumer.dataConsumers.count)
        b.raw(",\"ordered\":false,\"maxRetransmits\":1},\"label\":"); b.string(dp.label)
        b.raw(",\"protocol\":\"\",\"appData\":{\"peerId\":"); b.string(producerPeer.id)
        b.raw("}}")
        consumer.peer.request("newDataConsumer", JSONText(unchecked: b)) { [logger] result in
            if case .failure(let error) = result {
                logger.warning("newDataConsumer failed", metadata: ["peer": .untrusted(consumer.id), "error": .untrusted("\(error)")])
            }
        }
    }

    // MARK: Leave

    private func leave(_ p: ConferenceParticipant) {
        guard participants[p.id] === p else { return }
        participants[p.id] = nil
        if lastSpeaker == p.id { lastSpeaker = nil }
        if p.joined {
            joined.removeAll { $0 === p }
            let survivors = joined
            let peerClosed = EncodedNotification("peerClosed", ["peerId": .string(p.id)])
            for other in survivors { other.peer.notify(peerClosed) }
            context.scheduler.schedule(after: app.configuration.leaveCleanupDelay) {
                for other in survivors where !other.peer.isClosed {
                    let closed = other.consumers.filter { $0.producerPeerId == p.id }
                    other.consumers.removeAll { $0.producerPeerId == p.id }
                    for c in closed { other.peer.notify("consumerClosed", ["consumerId": .string(c.id)]) }
                    let closedData = other.dataConsumers.filter { $0.producerPeerId == p.id }
                    other.dataConsumers.removeAll { $0.producerPeerId == p.id }
                    for d in closedData { other.peer.notify("dataConsumerClosed", ["dataConsumerId": .string(d.id)]) }
                }
            }
        }
        if participants.isEmpty {
            bweTimer?.cancel()
            speakerTimer?.cancel()
            app.media.closeRouter(roomId: id)
            protooRoom.close()
            app.roomDidEmpty(self)
        }
    }

    // MARK: Periodic notifications

    private func startTimers() {
        scheduleBwe()
        scheduleSpeaker()
    }

    private func scheduleBwe() {
        bweTimer = context.scheduler.schedule(after: app.configuration.downlinkBwePeriod, target: self, tag: Self.bweTag)
    }

    private func scheduleSpeaker() {
        speakerTimer = context.scheduler.schedule(after: app.configuration.activeSpeakerPeriod, target: self, tag: Self.speakerTag)
    }

    private func bweTick() {
        let context = self.context
        for p in joined where p.consumesVideo {
            let desired = Int64(1_500_000 + context.random.next(upperBound: UInt64(500_000)))
            let available = Int64(1_000_000 + context.random.next(upperBound: UInt64(2_000_000)))
            // Written straight into the engine's buffer: the bytes of
            // ["desiredBitrate": desired, "effectiveDesiredBitrate": desired, "availableBitrate": available].
            p.peer.notify("downlinkBwe") { b in
                b.raw("{\"desiredBitrate\":"); b.int(desired)
                b.raw(",\"effectiveDesiredBitrate\":"); b.int(desired)
                b.raw(",\"availableBitrate\":"); b.int(available)
                b.raw("}")
            }
        }
    }

    /// A two-state talk/silence process: each tick keeps the state with probability 0.9 and
    /// otherwise redraws it with the configured speaking share.
    private func speakerTick() {
        let members = joined
        // The candidates are counted and picked in place (no filtered array per tick).
        var candidates = 0
        for m in members where m.isSpeakingCandidate { candidates += 1 }
        if context.random.nextUnit() >= 0.9 { speaking = context.random.nextUnit() < app.configuration.speakingShare }
        guard speaking, candidates > 0 else {
            if lastSpeaker != nil {
                lastSpeaker = nil
                for m in members { m.peer.notify(Self.silence) }
            }
            return
        }
        // The current speaker keeps the floor most of the time.
        let speaker: ConferenceParticipant
        if let last = lastSpeaker, let current = members.first(where: { $0.isSpeakingCandidate && $0.id == last }),
           context.random.nextUnit() < 0.8 {
            speaker = current
        } else {
            var k = Int(context.random.next(upperBound: UInt64(candidates)))
            var picked = members[0]
            for m in members where m.isSpeakingCandidate {
                if k == 0 { picked = m; break }
                k -= 1
            }
            speaker = picked
        }
        lastSpeaker = speaker.id
        let volume = -Int64(20 + context.random.next(upperBound: UInt64(40)))
        // The bytes of ["peerId": speaker.id, "volume": volume], written directly.
        let active = EncodedNotification("activeSpeaker", capacity: 48) { b in
            b.raw("{\"peerId\":"); b.string(speaker.id)
            b.raw(",\"volume\":"); b.int(volume)
            b.raw("}")
        }
        for m in members { m.peer.notify(active) }
    }

    /// `activeSpeaker` with `{"peerId":null}`: the same for every room, encoded once.
    private static let silence = EncodedNotification("activeSpeaker", ["peerId": nil])

    private static let bweTag = 0, speakerTag = 1
}

/// The periodic ticks: scheduled with the room as their target (no closure per tick). The
/// scheduler holds the room until a tick fires or is cancelled; the room cancels both when it closes.
extension ConferenceRoom: TimerTarget {
    func timerFired(_ tag: Int) {
        if tag == Self.bweTag {
            bweTick()
            scheduleBwe()
        } else {
            speakerTick()
            scheduleSpeaker()
        }
    }

    // MARK: Validation

    private func requireTransport(_ request: IncomingRequest, _ p: ConferenceParticipant) throws {
        let transportId = try requireString(request, "transportId")
        guard p.transports.contains(transportId) else {
            throw ProtooError.reject(500, "transport with id \"\(transportId)\" not found")
        }
    }

    private func requireString(_ request: IncomingRequest, _ key: String) throws -> String {
        guard let s = request.member(key)?.stringValue else { throw ProtooError.reject(400, "missing \(key)") }
        return s
    }
}
