import Logging
import Protoo
import ProtooApps
import ProtooLoad
import ProtooWebSocket
import ProtooTestSupport
import Testing

/// The load generator against the conformance app on a loopback server (port 0).
@Suite(.timeLimit(.minutes(1)))
struct LoadGeneratorTests {
    static func configuration(_ server: ProtooServer, query: String = "", peers: Int = 4, inflight: Int = 2,
                              method: String = "echo", rate: Double? = nil) -> LoadConfiguration {
        LoadConfiguration(url: "ws://127.0.0.1:\(server.port)/\(query)", peers: peers, duration: .milliseconds(300),
                          inflight: inflight, method: method, payloadBytes: 32, rate: rate, threads: 2,
                          drainTimeout: .seconds(2), logger: Harness.quietLogger)
    }

    @Test func closedLoopCountsAddUp() async throws {
        let report = try await withServer { server in try await LoadSession.run(Self.configuration(server, peers: 4, inflight: 2)) }
        #expect(report.mode == "closed")
        #expect(report.peersConnected == 4)
        #expect(report.completed > 0)
        #expect(report.errors.isEmpty)
        #expect(report.unfinished == 0)
        #expect(report.completed + report.errorCount == report.issued)
        #expect(report.latency.count == report.completed)
        #expect(report.latency.p50 > 0 && report.latency.p50 <= report.latency.p99 && report.latency.p99 <= report.latency.max)
        #expect(report.requestsPerSecond > 0)
        #expect(report.connectTimeP50Milliseconds > 0 && report.connectTimeP50Milliseconds <= report.connectTimeMaxMilliseconds)
    }

    @Test func rejectionsAreCountedByCode() async throws {
        let report = try await withServer { server in try await LoadSession.run(Self.configuration(server, peers: 2, method: "reject")) }
        #expect(report.completed == 0)
        #expect(report.issued > 0)
        #expect(report.errors.keys.sorted() == ["503"])
        #expect(report.errors["503"] == report.issued)
        #expect(report.latency.count == report.issued) // error responses are answers too
    }

    @Test func unknownMethodsAreCountedAs404() async throws {
        let report = try await withServer { server in try await LoadSession.run(Self.configuration(server, peers: 1, method: "noSuchMethod")) }
        #expect(report.errors == ["404": report.issued])
    }

    @Test func openLoopDropsArrivalsThatFindTheWindowFull() async throws {
        let (busy, calm) = try await withServer { server in
            // 1 in flight and 50,000 arrivals/s over 2 peers (one every 40 µs per peer, well under a
            // loopback round trip): most must drop.
            let busy = try await LoadSession.run(Self.configuration(server, peers: 2, inflight: 1, rate: 50_000))
            // 50/s over 2 peers: nothing should find a request in flight.
            let calm = try await LoadSession.run(Self.configuration(server, peers: 2, inflight: 1, rate: 50))
            return (busy, calm)
        }
        #expect(busy.mode == "open")
        #expect(busy.droppedArrivals > 0)
        #expect(busy.completed + busy.errorCount == busy.issued)
        // All arrivals of the 300 ms are either sent or dropped (±1 per loop for the boundaries).
        let arrivals = busy.issued + busy.droppedArrivals
        #expect(abs(arrivals - 15_000) <= 4, "arrivals: \(arrivals)")
        #expect(calm.droppedArrivals == 0)
        #expect(abs(calm.issued - 15) <= 2, "issued: \(calm.issued)")
        #expect(calm.completed == calm.issued)
    }

    @Test func peersGetTheirOwnIdsAndKeepTheQuery() async throws {
        try await withServer { server in
            let session = try await LoadSession.connect(Self.configuration(server, query: "?roomId=r1", peers: 3))
            #expect(session.connectedPeers == 3)
            // The conformance app refuses duplicate ids (409): three connected peers had three ids.
            let peers = try await server.withApp { app in
                ((app as? ConformanceApp)?.rooms["r1"]?.peers.map(\.id) ?? []).sorted()
            }
            #expect(peers == ["load-0", "load-1", "load-2"])
            await session.close()
        }
    }

    @Test func refusedPeersAreLeftOutAndNoneConnectedIsAnError() async throws {
        try await withServer { server in
            // peerId=reject → 403 for every peer.
            await #expect(throws: LoadError.noPeerConnected(url: "ws://127.0.0.1:\(server.port)/?peerId=reject", attempts: 2)) {
                _ = try await LoadSession.run(Self.configuration(server, query: "?peerId=reject", peers: 2))
            }
        }
    }

    @Test func invalidConfigurationsAreRefused() async {
        await #expect(throws: LoadError.invalidConfiguration("inflight must be at least 1 (got 0)")) {
            _ = try await LoadSession.run(LoadConfiguration(url: "ws://127.0.0.1:1/", inflight: 0))
        }
        await #expect(throws: LoadError.invalidURL("http://127.0.0.1:1/?peerId=load-0")) {
            _ = try await LoadSession.run(LoadConfiguration(url: "http://127.0.0.1:1/", duration: .milliseconds(10)))
        }
    }
}
