import Protoo

/// In-memory round trips through two real engine peers on the virtual scheduler.
enum EngineBenchmarks {
    static func run(_ r: BenchmarkRunner) throws {
        // The engine alone: encode on one peer, decode and dispatch on another, no scheduler hop.
        let corpus = CodecBenchmarks.corpus.map { try! Message.decode($0) }
        let notifications = corpus.compactMap { m -> (String, JSONValue)? in
            if case .notification(let method, let data) = m { return (method, data) }
            return nil
        }
        let pipe = r.throughput { pipeline(notifications, rounds: 5_000, readData: false) }
        r.record("engine", "notify → encode → decode → dispatch (data unread)", pipe, "msg/s",
                 note: "conference notifications; the handler looks at the method only")
        let pipeRead = r.throughput { pipeline(notifications, rounds: 5_000, readData: true) }
        r.record("engine", "notify → encode → decode → dispatch (data read)", pipeRead, "msg/s",
                 note: "the handler parses every notification's data")
        for peers in [1, 1000] {
            let rate = r.throughput { roundTrips(peers: peers, perPeer: max(1, 20_000 / peers)) }
            r.record("engine", "request/response round trips, \(peers) peer(s)", rate, "rt/s",
                     note: "all of a peer's requests in flight at once; 2 encodes + 2 decodes + dispatch + timer per round trip")
        }
        // Synchronous against async handlers (`onRequest { request async throws -> Reply in … }`,
        // an engine task per request), alternated, at one request in flight per peer (a browser's
        // shape) and at all of them in flight.
        for (peers, inFlight) in [(1, 1), (1000, 1), (1000, 20)] {
            let perPeer = max(1, 20_000 / peers)
            let shape = "\(peers) peer(s) × \(inFlight) in flight"
            var sync = 0.0, async = 0.0
            for _ in 0..<3 {
                sync = max(sync, r.cpuThroughput { roundTrips(peers: peers, perPeer: perPeer, inFlight: inFlight) })
                async = max(async, r.cpuThroughput { roundTrips(peers: peers, perPeer: perPeer, inFlight: inFlight, asyncHandler: true) })
            }
            r.record("engine", "round trips, \(shape), synchronous handler", sync, "rt/CPU s")
            r.record("engine", "round trips, \(shape), async handler", async, "rt/CPU s", ratio: sync / async,
                     note: "ratio: CPU time per round trip against the synchronous handler's, same run, alternated, best of 3 each (issue 20: ≤ 1.5×)")
        }
        let fanout = r.throughput { notificationFanout(peers: 100, rounds: 200) }
        r.record("engine", "notification fan-out (room of 100)", fanout, "notif/s")
    }

    /// `perPeer` round trips on each of `count` peer pairs, `inFlight` of them at a time per peer
    /// (`nil`: all at once).
    static func roundTrips(peers count: Int, perPeer: Int, inFlight: Int? = nil, asyncHandler: Bool = false) -> Int {
        let (context, scheduler) = EngineContext.virtual(seed: 1)
        var servers: [Peer] = []
        var clients: [Peer] = []  // transports hold delegates weakly: keep both ends alive
        for i in 0..<count {
            let (a, b) = MemoryTransport.pair(scheduler: scheduler)
            let server = Peer(id: "s\(i)", transport: a, context: context)
            let client = Peer(id: "c\(i)", transport: b, context: context, configuration: .client)
            if asyncHandler {
                client.onRequest { request async throws -> Reply in .accept(request.data) }
            } else {
                client.onRequest { .accept($0.data) }
            }
            servers.append(server)
            clients.append(client)
        }
        var done = 0
        var sent = Array(repeating: 0, count: count)
        func send(_ i: Int) {
            sent[i] += 1
            servers[i].request("echo", ["n": 1]) { result in
                if case .success = result { done += 1 }
                if sent[i] < perPeer { send(i) }
            }
        }
        for i in 0..<count {
            for _ in 0..<min(perPeer, inFlight ?? perPeer) { send(i) }
        }
        scheduler.runUntilIdle()
        precondition(done == count * perPeer, "round trips lost")
        // An open transport holds its peer (the transport contract): close them, or every run leaks.
        for server in servers { server.close() }
        scheduler.runUntilIdle()
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
            c.onNotification { _ in received += 1 }
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

/// A transport that keeps the last text sent, for driving two peers by hand.
final class SinkTransport: Transport {
    var delegate: (any TransportDelegate)?
    var isClosed: Bool { false }
    var last = ""
    func send(_ text: String) { last = text }
    func close(code: UInt16, reason: String) {}
    func abort() {}
}

extension EngineBenchmarks {
    /// `rounds` × the notifications: each encoded by a sending peer and handed to a receiving peer.
    static func pipeline(_ notifications: [(String, JSONValue)], rounds: Int, readData: Bool) -> Int {
        let (context, _) = EngineContext.virtual(seed: 1)
        let outbound = SinkTransport(), inbound = SinkTransport()
        let sender = Peer(id: "s", transport: outbound, context: context)
        let receiver = Peer(id: "r", transport: inbound, context: context, configuration: .client)
        var received = 0
        receiver.onNotification { n in
            if readData { blackHole(n.data) }
            received += 1
        }
        for _ in 0..<rounds {
            for (method, data) in notifications {
                sender.notify(method, data)
                receiver.transport(inbound, didReceive: outbound.last)
            }
        }
        precondition(received == rounds * notifications.count)
        return received
    }
}
