import Protoo

/// What the conference app knows about one connected peer.
final class ConferenceParticipant {
    struct Producer {
        var id: String
        var kind: String  // "audio" | "video"
        var paused: Bool
    }
    struct DataProducer {
        var id: String
        var label: String
    }
    struct Consumer {
        var id: String
        var producerId: String
        var producerPeerId: String
        var kind: String
    }
    struct DataConsumer {
        var id: String
        var dataProducerId: String
        var producerPeerId: String
    }

    let peer: Peer
    /// Connection order within the room (1, 2, …).
    var arrival = 0
    var joined = false
    var displayName = ""
    var device: JSONValue = .emptyObject
    var hasRtpCapabilities = false
    var transports: [String] = []
    var producers: [Producer] = [] {
        // Kept up to date on every change (rare) instead of scanned on every speaker tick.
        didSet { isSpeakingCandidate = producers.contains { $0.kind == "audio" && !$0.paused } }
    }
    var dataProducers: [DataProducer] = []
    /// Consumers that this participant receives (keyed by consumer id, in creation order).
    var consumers: [Consumer] = [] {
        // Kept up to date on every change (rare) instead of scanned on every read (once per
        // second per peer, for downlinkBwe).
        didSet { consumesVideo = consumers.contains { $0.kind == "video" } }
    }
    var dataConsumers: [DataConsumer] = []

    init(peer: Peer) { self.peer = peer }

    var id: String { peer.id }
    /// Read for every peer once a second (downlinkBwe); set only in `didSet`.
    private(set) var consumesVideo = false
    var speakingProducer: Producer? { producers.first { $0.kind == "audio" && !$0.paused } }
    /// `speakingProducer != nil`.
    private(set) var isSpeakingCandidate = false

    var summary: JSONValue {
        ["id": .string(id), "displayName": .string(displayName), "device": device]
    }
}
