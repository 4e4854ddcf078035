import Foundation
import Protoo
@testable import ProtooProxy
import ProtooWebSocket
import ProtooTestSupport
import Testing

/// Faults on the relayed traffic: seeded, so one seed gives every connection the same decisions.
@Suite(.timeLimit(.minutes(1)))
struct ProxyFaultTests {
    /// Which of 60 messages from the client reach the upstream through a proxy losing half of them.
    private func survivors(seed: UInt64) async throws -> [String] {
        try await withProxied(Harness.wire, configure: {
            $0.faults.lossProbability = 0.5
            $0.seed = seed
        }) { servers in
            let a = try #require(try await WireClient.dial("\(servers.url)/").client)
            for text in (0..<60).map({ "m\($0)" }) { a.send(text) }
            // The close goes behind the messages and is never lost: once the upstream saw it, it saw
            // every survivor (its own list is the reference; the echoes lose half again).
            a.close(code: 1000, reason: "")
            try await waitUntil("the upstream saw the close") { (try? await servers.upstream.wireSeen().first?.closed) != nil }
            return try await servers.upstream.wireSeen().first?.received ?? []
        }
    }

    @Test func messageLossIsTheSameForTheSameSeed() async throws {
        let first = try await survivors(seed: 7)
        let again = try await survivors(seed: 7)
        let other = try await survivors(seed: 8)
        #expect(first == again)
        #expect(first != other)
        #expect((15...45).contains(first.count), "\(first.count) of 60 survived a 50 % loss")
        // Order is kept: survivors arrive in the order they were sent.
        #expect(first == first.sorted { Int($0.dropFirst())! < Int($1.dropFirst())! })
    }

    @Test func timedFaultPlanIsTheSameForTheSameSeedAndConnection() {
        var faults = ProxyFaults()
        faults.dropRate = 1
        faults.clogRate = 30
        faults.clogDuration = .seconds(1)
        func plan(seed: UInt64, connection: UInt64) -> [String] {
            var f = ConnectionFaults(faults, seed: seed, connection: connection)
            f.start(at: .zero)
            var strikes: [String] = []
            while strikes.count < 20, let next = f.nextEvent() { strikes.append("\(next.event)@\(next.at.nanoseconds)") }
            return strikes
        }
        #expect(plan(seed: 7, connection: 1) == plan(seed: 7, connection: 1))
        #expect(plan(seed: 7, connection: 1) != plan(seed: 7, connection: 2))
        #expect(plan(seed: 7, connection: 1) != plan(seed: 8, connection: 1))
        // Clogs repeat until the drop ends the connection; nothing follows the drop.
        let strikes = plan(seed: 7, connection: 1)
        #expect(strikes.allSatisfy { $0.hasPrefix("clog@") || $0.hasPrefix("drop@") })
        if let drop = strikes.firstIndex(where: { $0.hasPrefix("drop@") }) { #expect(drop == strikes.count - 1) }
    }

    @Test func injectedServerCloseIs4000ToTheClientAnd1001Upstream() async throws {
        var faults = ProxyFaults()
        faults.serverCloseRate = 600  // one every 100 ms on average
        let seed = Harness.seed(firstFaultOf: faults)
        try await withProxied(Harness.wire, configure: {
            $0.faults = faults
            $0.seed = seed
        }) { servers in
            let a = try #require(try await WireClient.dial("\(servers.url)/").client)
            let closed = try await a.waitForClose()
            #expect(closed == TransportCloseEvent(code: CloseCode.protoo, reason: "closed by protoo-server", initiator: .remote))
            try await waitUntil("upstream closed") { (try? await servers.upstream.wireSeen().first?.closed) != nil }
            let upstreamSaw = try #require(try await servers.upstream.wireSeen().first?.closed)
            #expect(upstreamSaw.code == CloseCode.goingAway)
            #expect(upstreamSaw.initiator == .remote)
        }
    }

    @Test func injectedDropLosesBothSidesWithoutACloseFrame() async throws {
        var faults = ProxyFaults()
        faults.dropRate = 600
        let seed = Harness.seed(firstFaultOf: faults)
        try await withProxied(Harness.wire, configure: {
            $0.faults = faults
            $0.seed = seed
        }) { servers in
            let a = try #require(try await WireClient.dial("\(servers.url)/").client)
            let closed = try await a.waitForClose()
            #expect(closed.code == nil)
            #expect(closed.initiator == .network)
            try await waitUntil("upstream closed") { (try? await servers.upstream.wireSeen().first?.closed) != nil }
            #expect(try await servers.upstream.wireSeen().first?.closed?.code == nil)
        }
    }

    /// Over real sockets, delayed and jittered messages still arrive whole and in order (the delays
    /// themselves are checked on virtual time in VirtualTimeFaultTests).
    @Test func latencyAndJitterKeepOrder() async throws {
        try await withProxied(Harness.wire, configure: {
            $0.faults.latency = .milliseconds(20)
            $0.faults.jitter = .milliseconds(20)
            $0.seed = 5
        }) { servers in
            let a = try #require(try await WireClient.dial("\(servers.url)/").client)
            let sent = (0..<20).map { "m\($0)" }
            for text in sent { a.send(text) }
            #expect(try await a.waitForMessages(sent.count) == sent)
            a.close(code: 1000, reason: "")
        }
    }

    /// Over real sockets, traffic held by clogs arrives whole and in order (when it is held and
    /// released is checked on virtual time in VirtualTimeFaultTests).
    @Test func cloggedTrafficArrivesInOrder() async throws {
        try await withProxied(Harness.wire, configure: {
            $0.faults.clogRate = 600_000  // clogged almost at once, and again right after each clog
            $0.faults.clogDuration = .milliseconds(20)
            $0.seed = 9
        }) { servers in
            let a = try #require(try await WireClient.dial("\(servers.url)/").client)
            let sent = (0..<10).map { "m\($0)" }
            for text in sent { a.send(text) }
            #expect(try await a.waitForMessages(sent.count) == sent)
            a.close(code: 1000, reason: "")
        }
    }

    @Test func profilesAreTheSimulatorsLinkFaults() throws {
        let heavy = try #require(ProxyFaults.named("heavy"))
        #expect(heavy.dropRate == 0.2)
        #expect(heavy.serverCloseRate == 0.02)
        #expect(heavy.clogRate == 0.2)
        #expect(ProxyFaults.named("none")?.isNone == true)
        #expect(ProxyFaults.named("stormy") == nil)
        var bad = ProxyFaults()
        bad.lossProbability = 2
        #expect(throws: ProxyError.self) { try bad.validate() }
    }
}
