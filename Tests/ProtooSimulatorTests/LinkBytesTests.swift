import Testing
import Protoo
@testable import ProtooSimulator

/// Messages cross a simulated link as bytes held in the link (see `NetworkLink.Pipe`): what
/// arrives must be exactly what was sent, whatever the sizes, bursts and re-entrant sends.
@Suite struct LinkBytesTests {
    /// Records what an end delivers, and can send on another end while a message is handed over.
    final class Recorder: TransportDelegate {
        var texts: [String] = []
        /// Runs while the bytes are handed over, before they are read.
        var whileReceiving: (() -> Void)?
        func transport(_ transport: any Transport, didReceive text: String) { texts.append(text) }
        func transport(_ transport: any Transport, didReceiveUTF8 bytes: UnsafeRawBufferPointer) {
            whileReceiving?()
            texts.append(String(decoding: bytes, as: UTF8.self))
        }
        func transport(_ transport: any Transport, didClose event: TransportCloseEvent) {}
    }

    /// An app that accepts the connection and keeps its (untapped-for-us) server transport.
    final class AcceptingApp: ProtooApp {
        var transport: (any Transport)?
        func handleConnection(_ request: ConnectionRequest) { transport = request.accept() }
    }

    /// An open link with recorders on both ends. (The link does not keep its network alive: hold
    /// on to the returned one.)
    static func openLink(latency: LatencyModel) -> (SimulatedNetwork, NetworkLink, server: any Transport, Recorder, Recorder) {
        let scheduler = VirtualScheduler()
        let app = AcceptingApp()
        let network = SimulatedNetwork(scheduler: scheduler, seed: 5, latency: latency, app: app, tap: FullLog())
        let link = network.connect(target: "/?peerId=A", remoteAddress: "10.0.0.1:1")
        scheduler.advance(by: .seconds(1))
        let serverSide = Recorder(), clientSide = Recorder()
        let server = app.transport!
        server.delegate = serverSide
        link.clientEnd.delegate = clientSide
        return (network, link, server, serverSide, clientSide)
    }

    /// Text of `n` bytes, with multi-byte characters, numbered so that order and content show.
    static func text(_ i: Int, bytes n: Int) -> String {
        var s = "#\(i) é€ "
        while s.utf8.count < n { s += "\(i % 10)" }
        return s
    }

    @Test(arguments: [LatencyModel(base: .milliseconds(10)),
                      LatencyModel(base: .milliseconds(5), distribution: .exponential(mean: .milliseconds(20))),
                      LatencyModel(base: .milliseconds(1), bytesPerSecond: 100_000)])
    func burstsOfEverySizeArriveIntactAndInOrder(latency: LatencyModel) {
        let (network, link, server, serverSide, clientSide) = Self.openLink(latency: latency)
        let scheduler = network.scheduler
        var sentDown: [String] = [], sentUp: [String] = []
        // Sizes cross the buffer's growth steps and its give-back threshold; bursts overlap in flight.
        let sizes = [0, 1, 7, 255, 256, 257, 1000, 3000, 70_000, 12, 2049, 5]
        for round in 0..<4 {
            for (k, n) in sizes.enumerated() {
                let down = Self.text(round * 100 + k, bytes: n)
                server.send(down)
                sentDown.append(down)
                let up = Self.text(round * 100 + k + 50, bytes: n / 3)
                link.clientEnd.send(up)
                sentUp.append(up)
                if k % 4 == 3 { scheduler.advance(by: .milliseconds(3)) }
            }
            scheduler.advance(by: .seconds(2))
        }
        #expect(clientSide.texts == sentDown)
        #expect(serverSide.texts == sentUp)
    }

    /// A delegate that sends on the same direction while a message is handed over: the bytes it is
    /// reading must stay put. Here the second of two messages is being read from the middle of the
    /// buffer, and the new one would fit if the queue moved to the front over it: it must go to a
    /// new buffer instead (the old one is freed once the delivery ends). Then a send that must grow
    /// the buffer during a delivery.
    @Test(arguments: [(100, 100), (100, 5000)])
    func sendingIntoTheSamePipeDuringADeliveryKeepsTheDeliveredBytes(size: Int, echoSize: Int) {
        let (network, link, server, _, clientSide) = Self.openLink(latency: LatencyModel(base: .milliseconds(10)))
        let scheduler = network.scheduler
        var sends = 0
        clientSide.whileReceiving = {
            sends += 1
            if sends == 2 { server.send(Self.text(3, bytes: echoSize)) }
        }
        let sent = [Self.text(1, bytes: size), Self.text(2, bytes: size)]
        for t in sent { server.send(t) }
        scheduler.advance(by: .seconds(1))
        #expect(clientSide.texts == sent + [Self.text(3, bytes: echoSize)])
        _ = link
    }

    /// What a dropped link had in flight is lost, and the bytes queued behind it do not leak into
    /// what a later message reads.
    @Test func aDroppedLinkLosesItsQueuedBytes() {
        let (network, link, server, _, clientSide) = Self.openLink(latency: LatencyModel(base: .milliseconds(10)))
        let scheduler = network.scheduler
        server.send("kept")
        scheduler.advance(by: .milliseconds(50))
        server.send(Self.text(1, bytes: 4000))
        link.drop()
        scheduler.advance(by: .seconds(1))
        #expect(clientSide.texts == ["kept"])
        #expect(link.clientEnd.isClosed)
    }
}
