import Protoo
import Testing

/// `Peer.onProtocolViolation`: what a remote side sends against the protocol, sorted out.
@Suite struct ProtocolViolationTests {
    struct Setup {
        let scheduler = VirtualScheduler()
        let peer: Peer
        let remote: MemoryTransport
        var seen: [ProtocolViolation] { box.seen }
        let box = Box()

        final class Box { var seen: [ProtocolViolation] = [] }

        init() {
            let (local, remote) = MemoryTransport.pair(scheduler: scheduler)
            self.remote = remote
            peer = Peer(id: "client", transport: local, context: EngineContext(scheduler: scheduler, random: SeededRandom(seed: 3)),
                        configuration: .client)
            let box = self.box
            peer.onProtocolViolation { box.seen.append($0) }
        }

        func answer(_ id: Int) { remote.send(#"{"response":true,"id":\#(id),"ok":true,"data":{}}"#) }
        func run(_ seconds: Int64) { scheduler.run(until: scheduler.now + .seconds(seconds)) }
    }

    /// Requests the peer sent, as the remote end received them.
    final class Sink: TransportDelegate {
        var ids: [Int] = []
        func transport(_ transport: any Transport, didReceive text: String) {
            if let id = (try? JSONParser.parse(text))?["id"]?.intValue { ids.append(id) }
        }
        func transport(_ transport: any Transport, didClose event: TransportCloseEvent) {}
    }

    @Test func answersToUnknownDuplicateAndTimedOutRequestsAreToldApart() {
        let s = Setup()
        let sink = Sink()
        s.remote.delegate = sink
        var results: [Result<JSONValue, ProtooError>] = []
        s.peer.request("a") { results.append($0) }
        s.run(1)
        guard let first = sink.ids.first else { Issue.record("no request went out"); return }
        s.answer(first)
        s.answer(first)                 // twice
        s.answer(first &+ 1)            // never sent
        s.run(1)
        #expect(results.count == 1)
        #expect(s.seen.map(\.kind) == [.duplicateResponse, .unknownResponse])
        #expect(s.seen.first?.requestID == first && s.seen.first?.detail == "a")
        #expect(s.seen.allSatisfy { $0.isBreach })

        s.peer.request("slow") { results.append($0) }
        s.run(1)
        let slow = sink.ids[1]
        s.run(30)                       // past the client's 22.5 s timeout
        s.answer(slow)
        s.run(1)
        #expect(results.count == 2)
        #expect(s.seen.last?.kind == .lateResponse && s.seen.last?.isBreach == false)
    }

    @Test func anInvalidFrameIsReported() {
        let s = Setup()
        s.remote.send(#"{"hello":"#)
        s.run(1)
        #expect(s.seen.map(\.kind) == [.invalidMessage])
        #expect(!s.peer.isClosed, "protoo drops an invalid frame and keeps the connection")
    }

    @Test func aFinishedRequestsIDIsNotReusedWhileRemembered() {
        let s = Setup()
        let sink = Sink()
        s.remote.delegate = sink
        for _ in 0..<200 {
            s.peer.request("x") { _ in }
            s.run(0)
            s.scheduler.run(until: s.scheduler.now + .milliseconds(1))
            if let id = sink.ids.last { s.answer(id) }
            s.scheduler.run(until: s.scheduler.now + .milliseconds(1))
        }
        #expect(Set(sink.ids).count == sink.ids.count)
        #expect(s.seen.isEmpty)
    }
}
