import Testing
@testable import Protoo

/// A transport may deliver a message as bytes readable only during the call
/// (``TransportDelegate/transport(_:didReceiveUTF8:)``): the peer must decode exactly as from the
/// text, and keep a copy of whatever someone may read later.
@Suite struct ByteDeliveryTests {
    /// Delivers `bytes` from a scratch buffer that is overwritten right after the call.
    static func deliver(_ bytes: [UInt8], to peer: Peer, on transport: any Transport) {
        var scratch = bytes
        scratch.withUnsafeBytes { peer.transport(transport, didReceiveUTF8: $0) }
        for i in scratch.indices { scratch[i] = UInt8(ascii: "#") }
        _ = scratch
    }

    @Test func requestDataReadLaterIsTheDeliveredData() throws {
        let h = EngineHarness()
        let (server, _, clientEnd) = try h.connect("A")
        var kept: [IncomingRequest] = []
        server.onRequest { kept.append($0); return .deferred }
        let frame = #"{"request":true,"id":12,"method":"produce","data":{"kind":"video","rtpParameters":{"mid":"0"}}}"#
        Self.deliver(Array(frame.utf8), to: server, on: clientEnd)
        Self.deliver(Array(#"{"request":true,"id":13,"method":"other","data":[1,2]}"#.utf8), to: server, on: clientEnd)
        let first = try #require(kept.first)
        #expect(first.method == "produce")
        #expect(first.data == ["kind": "video", "rtpParameters": ["mid": "0"]])
        #expect(kept.last?.data == [1, 2])
    }

    /// The JSON grammar lets any byte above 0x7F through inside a string; such a frame is decoded
    /// from its repaired text (U+FFFD), as the text path would, and no byte range goes astray.
    @Test func invalidUTF8InsideAStringIsRepairedLikeTheTextPath() throws {
        let h = EngineHarness()
        let (server, _, clientEnd) = try h.connect("A")
        var viaBytes: [JSONValue] = [], viaText: [JSONValue] = []
        var sink: (JSONValue) -> Void = { viaBytes.append($0) }
        server.onNotification { _, data in sink(data) }
        var frame = Array(#"{"notification":true,"method":"n","data":{"a":"x"#.utf8)
        frame += [0xFF, 0xC3]  // not UTF-8
        frame += Array(#"y","b":[1,"é"]}}"#.utf8)
        Self.deliver(frame, to: server, on: clientEnd)
        sink = { viaText.append($0) }
        server.transport(clientEnd, didReceive: String(decoding: frame, as: UTF8.self))
        #expect(viaBytes.count == 1)
        #expect(viaBytes == viaText)
        #expect(viaBytes.first?["b"] == [1, "é"])
    }

    @Test func invalidFramesAreDroppedAndUnheardNotificationsIgnored() throws {
        let h = EngineHarness()
        let (server, client, clientEnd) = try h.connect("A")
        server.onRequest { .accept($0.data) }
        for junk in ["not json", "[1]", "{}", #"{"notification":true,"method":"m","data":{"#, #"{"notification":true,"method":"nobody listens","data":{"x":1}}"#] {
            Self.deliver(Array(junk.utf8), to: server, on: clientEnd)
        }
        let out = Outcomes()
        client.request("echo", ["still": "alive"], completion: out.handler)
        h.settle()
        #expect(try out.results.single().get() == ["still": "alive"])
        #expect(!server.isClosed)
    }

    @Test func responsesComplete() throws {
        let h = EngineHarness()
        let (server, client, _) = try h.connect("A")
        let out = Outcomes()
        server.request("q", ["x": 1], completion: out.handler)
        let sent = try #require(server.transport as? MemoryTransport).sent
        let id = try #require(sent.last.flatMap { try? Message.decode($0) }.flatMap { m -> RequestID? in
            if case .request(let id, _, _) = m { return id } else { return nil }
        })
        Self.deliver(Array(#"{"response":true,"id":\#(id),"ok":true,"data":{"y":"z"}}"#.utf8), to: server, on: server.transport)
        #expect(try out.results.single().get() == ["y": "z"])
        _ = client
    }
}

/// `TappedTransport` hands the engine's bytes to its tap and its transport as they are; a tap that
/// implements only the text methods gets the same messages through the defaults.
@Suite struct TappedTransportTests {
    final class TextTap: TrafficTap {
        var sent: [String] = [], received: [String] = [], closed = 0
        func connectionRequested(_ c: ConnectionID, at t: Instant, target: String, headers: [(name: String, value: String)], remoteAddress: String) {}
        func connectionAccepted(_ c: ConnectionID, at t: Instant) {}
        func connectionRejected(_ c: ConnectionID, at t: Instant, status: Int, reason: String) {}
        func messageReceived(_ c: ConnectionID, at t: Instant, text: String) { received.append(text) }
        func messageSent(_ c: ConnectionID, at t: Instant, text: String) { sent.append(text) }
        func connectionClosed(_ c: ConnectionID, at t: Instant, event: TransportCloseEvent) { closed += 1 }
    }

    @Test func theTapSeesWhatCrossesBothWays() throws {
        let (context, scheduler) = EngineContext.virtual(seed: 3)
        let (serverEnd, clientEnd) = MemoryTransport.pair(scheduler: scheduler)
        let tap = TextTap()
        let tapped = TappedTransport(serverEnd, connection: 9, tap: tap, scheduler: scheduler)
        let server = Peer(id: "s", transport: tapped, context: context)
        let client = Peer(id: "c", transport: clientEnd, context: context, configuration: .client)
        var heard: [String] = []
        client.onNotification { method, _ in heard.append(method) }
        server.onRequest { .accept(["echo": $0.data]) }
        server.notify("hello", ["é": "€"])
        server.notify("built") { b in b.raw("{\"n\":"); b.int(7); b.raw("}") }
        let out = Outcomes()
        client.request("q", ["x": 1], completion: out.handler)
        scheduler.run(until: scheduler.now + .seconds(1))
        #expect(heard == ["hello", "built"])
        #expect(try out.results.single().get() == ["echo": ["x": 1]])
        #expect(tap.sent.count == 3 && tap.received.count == 1)
        #expect(tap.sent.prefix(2).map { try? Message.decode($0) } == [.notification(method: "hello", data: ["é": "€"]), .notification(method: "built", data: ["n": 7])])
        #expect(serverEnd.sent == tap.sent, "the transport sent exactly what the tap saw")
        server.close()
        scheduler.run(until: scheduler.now + .seconds(1))
        #expect(tap.closed == 1)
    }
}
