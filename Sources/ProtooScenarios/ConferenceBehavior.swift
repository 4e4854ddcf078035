import Foundation
import Protoo
import ProtooApps
import ProtooSimulator

/// A browser in a mediasoup-style conference (as mediasoup-demo's client behaves): the 10-request join
/// sequence, answers to `newConsumer`/`newDataConsumer`, mute and camera toggles, display-name
/// changes and stats polling, all drawn from the client's own random stream (`client.random`).
final class ConferenceBehavior: ClientBehavior {
    struct Rates {
        /// Actions per virtual minute.
        var muteToggle = 0.5
        var cameraToggle = 0.2
        var displayName = 0.05
        var statsPanel = 0.1
    }

    let answers: AnswerStyle
    let rates: Rates
    private var sendTransport: String?
    private var recvTransport: String?
    private var audioProducer: String?
    private var videoProducer: String?
    private var muted = false
    private var nameCount = 0

    init(answers: AnswerStyle, rates: Rates = Rates()) {
        self.answers = answers
        self.rates = rates
    }

    func clientDidOpen(_ client: SimulatedClient, peer: Peer) {
        sendTransport = nil; recvTransport = nil; audioProducer = nil; videoProducer = nil; muted = false
        // The handler belongs to the peer; the client and its behavior live as long as the run.
        peer.onRequest { [unowned self, unowned client] request in
            self.answer(request, client)
        }
        // No notification handler: like a protoo-client app with no 'notification' listener, the
        // client reads what the server notifies (the peer validates every frame) and ignores it.
        join(client, peer)
    }


    private func answer(_ request: IncomingRequest, _ client: SimulatedClient) -> Reply {
        switch answers {
        case .prompt:
            let think = Duration.milliseconds(Int64(2 + client.random.next(upperBound: UInt64(30))))
            client.scheduler.schedule(after: think) { request.accept() }
        case .silent:
            break
        case .late(let offset):
            client.scheduler.schedule(after: .seconds(30) + offset) { request.accept() }
        }
        return .deferred
    }

    /// Steps 1–4 one after another, then 5–10 within 0.1–1.5 s.
    private func join(_ client: SimulatedClient, _ peer: Peer) {
        func alive() -> Bool { client.peer === peer && !client.leaving }
        // `unowned`, not `weak` (a weak reference would put the behavior on the slow
        // reference-counting path): the behavior lives as long as its client, which the run keeps.
        client.requestLazily("getRouterRtpCapabilities", then: { [unowned self] r in
            guard alive(), case .success = r else { return }
            client.requestLazily("createWebRtcTransport", ConferenceRequests.createSendTransport, then: { r in
                guard alive(), case .success(let send) = r else { return }
                self.sendTransport = send["id"]?.stringValue
                client.requestLazily("createWebRtcTransport", ConferenceRequests.createRecvTransport, then: { r in
                    guard alive(), case .success(let recv) = r else { return }
                    self.recvTransport = recv["id"]?.stringValue
                    self.nameCount += 1
                    client.requestLazily("join", ConferenceRequests.join(displayName: "Sim \(client.peerId)"), then: { r in
                        guard alive(), case .success = r else { return }
                        self.afterJoin(client, peer)
                    })
                })
            })
        })
    }

    private func afterJoin(_ client: SimulatedClient, _ peer: Peer) {
        guard let send = sendTransport, let recv = recvTransport else { return }
        var random = client.random
        let steps: [(String, JSONText)] = [
            ("connectWebRtcTransport", ConferenceRequests.connectTransport(recv, &random)),
            ("connectWebRtcTransport", ConferenceRequests.connectTransport(send, &random)),
            ("produce", ConferenceRequests.produce(send, kind: "audio", mid: "0", source: "mic", &random)),
            ("produce", ConferenceRequests.produce(send, kind: "video", mid: "1", source: "webcam", &random)),
            ("produceData", ConferenceRequests.produceData(send, streamId: 0, label: "chat", info: "my-chat-DataProducer")),
            ("produceData", ConferenceRequests.produceData(send, streamId: 1, label: "bot", info: "my-bot-DataProducer")),
        ]
        client.random = random
        var at = Duration.zero
        for (i, step) in steps.enumerated() {
            at += .milliseconds(Int64(20 + client.random.next(upperBound: UInt64(230))))
            client.scheduler.schedule(after: at) { [self, client, peer] in
                guard client.peer === peer, !client.leaving else { return }
                client.requestLazily(step.0, step.1, then: { r in
                    guard case .success(let data) = r else { return }
                    if i == 2 { self.audioProducer = data["id"]?.stringValue }
                    if i == 3 { self.videoProducer = data["id"]?.stringValue }
                })
            }
        }
        scheduleActions(client, peer)
    }

    // MARK: User actions (Poisson)

    private func scheduleActions(_ client: SimulatedClient, _ peer: Peer) {
        schedulePoisson(client, peer, perMinute: rates.muteToggle) { [unowned self] in self.toggleMute(client) }
        schedulePoisson(client, peer, perMinute: rates.cameraToggle) { [unowned self] in self.toggleCamera(client) }
        schedulePoisson(client, peer, perMinute: rates.displayName) { [unowned self] in
            self.nameCount += 1
            client.send("changeDisplayName", ["displayName": .string("Sim \(client.peerId) #\(self.nameCount)")])
        }
        schedulePoisson(client, peer, perMinute: rates.statsPanel) { [unowned self] in self.pollStats(client, peer, remaining: 4 + Int(client.random.next(upperBound: UInt64(8)))) }
    }

    private func schedulePoisson(_ client: SimulatedClient, _ peer: Peer, perMinute rate: Double, _ action: @escaping () -> Void) {
        guard rate > 0 else { return }
        let u = client.random.nextUnit()
        let wait = PortableMath.exponential(mean: 60.0 / rate, u: u)
        client.scheduler.schedule(after: .milliseconds(Int64(wait * 1000))) { [self, client, peer] in
            guard client.peer === peer, !client.leaving else { return }
            action()
            self.schedulePoisson(client, peer, perMinute: rate, action)
        }
    }

    private func toggleMute(_ client: SimulatedClient) {
        guard let audio = audioProducer else { return }
        muted.toggle()
        client.send(muted ? "pauseProducer" : "resumeProducer", ["producerId": .string(audio)])
    }

    private func toggleCamera(_ client: SimulatedClient) {
        if let video = videoProducer {
            videoProducer = nil
            client.send("closeProducer", ["producerId": .string(video)])
        } else if let send = sendTransport {
            var random = client.random
            let data = ConferenceRequests.produce(send, kind: "video", mid: "v\(nameCount)", source: "webcam", &random)
            client.random = random
            client.requestLazily("produce", data, then: { [unowned self] r in
                if case .success(let data) = r { self.videoProducer = data["id"]?.stringValue }
            })
        }
    }

    private func pollStats(_ client: SimulatedClient, _ peer: Peer, remaining: Int) {
        guard remaining > 0, client.peer === peer, !client.leaving, let send = sendTransport else { return }
        client.send("getTransportStats", ["transportId": .string(send)])
        client.scheduler.schedule(after: .milliseconds(2500)) { [self, client, peer] in
            self.pollStats(client, peer, remaining: remaining - 1)
        }
    }
}
