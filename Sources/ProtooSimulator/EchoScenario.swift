import Protoo

/// The minimal scenario: every client sends an `echo` request about once a second.
final class EchoBehaviour: ClientBehaviour {
    let interval: Duration
    private var sequence = 0

    init(interval: Duration = .seconds(1)) { self.interval = interval }

    func clientDidOpen(_ client: SimulatedClient, peer: Peer) {
        peer.onRequest { .accept($0.data) }
        tick(client, peer)
    }

    private func tick(_ client: SimulatedClient, _ peer: Peer) {
        guard client.peer === peer, !client.leaving else { return }
        sequence += 1
        client.request("echo", ["seq": .int(Int64(sequence)), "text": .string("hello from \(client.peerId)")])
        let jitter = Int64(client.context.random.next(upperBound: UInt64(interval.nanoseconds / 5 + 1)))
        client.scheduler.schedule(after: interval + .nanoseconds(jitter)) { [self, client, peer] in
            self.tick(client, peer)
        }
    }
}
