import Testing
@testable import Protoo

@Suite struct PeerTimeoutTests {
    /// A server peer whose client never answers, plus the client's request log.
    func silentClient() throws -> (EngineHarness, Peer, () -> [IncomingRequest]) {
        let h = EngineHarness()
        let (server, client, _) = try h.connect("A")
        var received: [IncomingRequest] = []
        client.onRequest { received.append($0); return .deferred }
        return (h, server, { received })
    }

    @Test func timeoutIsExactly30sWithNothingPending() throws {
        let (h, server, _) = try silentClient()
        let out = Outcomes()
        server.request("x", completion: out.handler)
        h.scheduler.run(until: Instant(nanoseconds: 30_000_000_000 - 1))
        #expect(out.results.isEmpty)
        h.scheduler.run(until: Instant(nanoseconds: 30_000_000_000))
        #expect(throws: ProtooError.requestTimeout) { try out.results.single().get() }
    }

    @Test func timeoutIs30_2sWithOnePending() throws {
        let (h, server, _) = try silentClient()
        let first = Outcomes(), second = Outcomes()
        server.request("first", completion: first.handler)
        server.request("second", completion: second.handler)
        h.scheduler.run(until: Instant(nanoseconds: 30_000_000_000))
        #expect(first.results.count == 1)
        #expect(second.results.isEmpty)
        h.scheduler.run(until: Instant(nanoseconds: 30_200_000_000 - 1))
        #expect(second.results.isEmpty)
        h.scheduler.run(until: Instant(nanoseconds: 30_200_000_000))
        #expect(throws: ProtooError.requestTimeout) { try second.results.single().get() }
    }

    @Test func clientTimeoutIs22_5sPlus150msPerPending() {
        #expect(Peer.Configuration.client.timeout(pending: 0) == .milliseconds(22_500))
        #expect(Peer.Configuration.client.timeout(pending: 3) == .milliseconds(22_950))
        #expect(Peer.Configuration.server.timeout(pending: 10) == .milliseconds(32_000))
    }

    @Test func responseOneNanosecondBeforeDeadlineResolves() throws {
        let (h, server, received) = try silentClient()
        let out = Outcomes()
        server.request("x", completion: out.handler)
        h.settle()
        let deadline = Instant(nanoseconds: 30_000_000_000)
        h.scheduler.schedule(at: Instant(nanoseconds: deadline.nanoseconds - 1)) { received()[0].accept(["in": "time"]) }
        h.scheduler.run(until: deadline + .seconds(1))
        #expect(try out.results.single().get() == ["in": "time"])
    }

    @Test(arguments: [0, 1, 1_000_000])
    func responseAtOrAfterDeadlineIsIgnored(lateness: Int64) throws {
        let (h, server, received) = try silentClient()
        let out = Outcomes()
        server.request("x", completion: out.handler)
        h.settle()
        h.scheduler.schedule(at: Instant(nanoseconds: 30_000_000_000 + lateness)) { received()[0].accept(["too": "late"]) }
        h.scheduler.run(until: Instant(nanoseconds: 31_000_000_000))
        #expect(throws: ProtooError.requestTimeout) { try out.results.single().get() }
        #expect(!server.isClosed)
    }

    @Test func closingWithPendingFailsEachExactlyOnce() throws {
        let (h, server, _) = try silentClient()
        let outs = (0..<5).map { _ in Outcomes() }
        for o in outs { server.request("x", completion: o.handler) }
        h.settle()
        server.close()
        server.close()
        h.scheduler.advance(by: .seconds(60))
        for o in outs {
            #expect(o.results.count == 1)
            #expect(throws: ProtooError.peerClosed) { try o.results[0].get() }
        }
    }

    @Test func remoteCloseFailsPendingOnce() throws {
        let h = EngineHarness()
        let (server, client, clientEnd) = try h.connect("A")
        client.onRequest { _ in .deferred }
        let out = Outcomes()
        var causes: [Peer.CloseCause] = []
        server.onClose { causes.append($0) }
        server.request("x", completion: out.handler)
        h.settle()
        clientEnd.abort()
        h.scheduler.advance(by: .seconds(60))
        #expect(throws: ProtooError.peerClosed) { try out.results.single().get() }
        #expect(causes == [.transport(TransportCloseEvent(code: nil, reason: "connection lost", initiator: .network))])
        #expect(!h.room.hasPeer("A"))
    }

    @Test func requestOnClosedPeerFailsAsynchronously() throws {
        let h = EngineHarness()
        let (server, _, _) = try h.connect("A")
        server.close()
        let out = Outcomes()
        server.request("x", completion: out.handler)
        #expect(out.results.isEmpty)
        h.settle()
        #expect(throws: ProtooError.peerClosed) { try out.results.single().get() }
    }

    @Test func lateResponseIsIgnoredAfterTimeout() throws {
        let (h, server, received) = try silentClient()
        let out = Outcomes()
        server.request("x", completion: out.handler)
        h.scheduler.advance(by: .seconds(31))
        received()[0].accept()
        h.settle()
        #expect(out.results.count == 1)
    }
}

@Suite struct RequestIDTests {
    func ids(seed: UInt64, count: Int) throws -> [Int] {
        let h = EngineHarness(seed: seed)
        let (server, _, _) = try h.connect("A")
        let serverEnd = server.transport as! MemoryTransport
        for i in 0..<count { server.request("m\(i)") { _ in } }
        return try serverEnd.sent.map { try #require(Message.decode($0).id) }
    }

    @Test func sameSeedSameIds() throws {
        #expect(try ids(seed: 7, count: 100) == ids(seed: 7, count: 100))
        #expect(try ids(seed: 7, count: 100) != ids(seed: 8, count: 100))
    }

    @Test func idsStayInProtooRange() throws {
        for id in try ids(seed: 3, count: 1000) { #expect((0...10_000_000).contains(id)) }
    }

    /// 6,000 draws from 10,000,001 values collide with probability ≈ 83 %: without the
    /// "not already pending" rule some id would repeat for most seeds.
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func pendingIdsAreNeverReused(seed: UInt64) throws {
        let ids = try ids(seed: seed, count: 6_000)
        #expect(Set(ids).count == ids.count)
    }
}
