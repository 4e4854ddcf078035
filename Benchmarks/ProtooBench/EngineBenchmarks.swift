import Protoo

/// In-memory round trips through two real engine peers on the virtual scheduler.
enum EngineBenchmarks {
    static func run(_ r: BenchmarkRunner) throws {
        for peers in [1, 1000] {
            let rate = r.throughput { roundTrips(peers: peers, perPeer: max(1, 20_000 / peers)) }
            r.record("engine", "request/response round trips, \(peers) peer(s)", rate, "rt/s",
                     note: "2 encodes + 2 decodes + dispatch + timer per round trip")
        }
        let fanout = r.throughput { notificationFanout(peers: 100, rounds: 200) }
        r.record("engine", "notification fan-out (room of 100)", fanout, "notif/s")
    }

    static func roundTrips(peers count: Int, perPeer: Int) -> Int {
        let (context, scheduler) = EngineContext.virtual(seed: 1)
        var servers: [Peer] = []
        var clients: [Peer] = []  // transports hold delegates weakly: keep both ends alive
        for i in 0..<count {
            let (a, b) = MemoryTransport.pair(scheduler: scheduler)
            let server = Peer(id: "s\(i)", transport: a, context: context)
            let client = Peer(id: "c\(i)", transport: b, context: context, configuration: .client)
            client.onRequest { .accept($0.data) }
            servers.append(server)
            clients.append(client)
        }
        var done = 0
        for server in servers {
            for _ in 0..<perPeer {
                server.request("echo", ["n": 1]) { if case .success = $0 { done += 1 } }
            }
        }
        scheduler.runUntilIdle()
        precondition(done == count * perPeer, "round trips lost")
        withExtendedLifetime(clients) {}
        return done
    }

    static func notificationFanout(peers count: Int, rounds: Int) -> Int {
        let (context, scheduler) = EngineContext.virtual(seed: 1)
        let room = Room(context: context)
        var received = 0
        var clients: [Peer] = []
        for i in 0..<count {
            let (a, b) = MemoryTransport.pair(scheduler: scheduler)
            try! room.createPeer(id: "p\(i)", transport: a)
            let c = Peer(id: "c\(i)", transport: b, context: context, configuration: .client)
            c.onNotification { _, _ in received += 1 }
            clients.append(c)
        }
        for i in 0..<rounds {
            for p in room.peers { p.notify("activeSpeaker", ["peerId": .string("p\(i % count)"), "volume": -40]) }
            scheduler.runUntilIdle()
        }
        precondition(received == count * rounds)
        return received
    }
}
