import Foundation
import Protoo
import ProtooTrace

/// Trace writing, reading and compression on conference-shaped traffic, and the cost of recording
/// live engine traffic through a TraceRecorder tap.
enum TraceBenchmarks {
    static func run(_ r: BenchmarkRunner) throws {
        var generator = ConferenceTrafficGenerator(seed: 1, rooms: r.quick ? 2 : 4, peersPerRoom: 6, seconds: 600)
        let records = generator.generate()
        let textBytes = records.reduce(0) { n, rec in
            switch rec.event {
            case .messageIn(let t), .messageOut(let t): return n + t.utf8.count
            default: return n
            }
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("protoo-bench-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("conference.ptrace").path
        let header = TraceHeader(createdAtUnixNanoseconds: 0, producerName: "protoo-bench", producerVersion: "0", host: "bench")

        var trailer = TraceTrailer()
        let writeRate = r.throughput {
            let writer = try! TraceWriter(path: path, header: header)
            for rec in records { try! writer.write(rec) }
            trailer = try! writer.close()
            return records.count
        }
        r.record("traces", "write (encode + zstd level 1 + file)", writeRate, "records/s",
                 note: "\(records.count) conference records, avg \(textBytes / records.count) B text")
        let fileSize = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 1
        r.record("traces", "compression, message text / file", Double(textBytes) / Double(fileSize), "x")
        r.record("traces", "compression, encoded records / file", Double(trailer.rawBytes) / Double(fileSize), "x",
                 note: "\(fileSize) B file, \(trailer.index.count) frames")

        let readRate = r.throughput {
            let reader = try! TraceReader(path: path)
            var n = 0
            while let rec = try! reader.next() { blackHole(rec); n += 1 }
            precondition(n == records.count)
            return n
        }
        r.record("traces", "read (zstd + checksums + decode)", readRate, "records/s")

        let plain = r.throughput { roundTrips(tap: nil) }
        r.record("traces", "engine round trips, no tap", plain, "rt/s")
        var configuration = TraceRecorderConfiguration(path: dir.appendingPathComponent("engine.ptrace").path, header: header, overflowPolicy: .block)
        configuration.overwritesExisting = true
        let recorder = try TraceRecorder(configuration: configuration)
        let tapped = r.throughput { roundTrips(tap: recorder) }
        try recorder.close()
        r.record("traces", "engine round trips, TraceRecorder tap", tapped, "rt/s", ratio: tapped / plain,
                 note: "2 records per round trip (request out, response in), block policy, dropped \(recorder.droppedRecords)")
    }

    /// Request/response round trips between 10 server/client peer pairs, the server side optionally tapped.
    static func roundTrips(tap: (any TrafficTap)?) -> Int {
        let (context, scheduler) = EngineContext.virtual(seed: 1)
        var servers: [Peer] = []
        var clients: [Peer] = []
        for i in 0..<10 {
            let (a, b) = MemoryTransport.pair(scheduler: scheduler)
            let serverTransport: any Transport = tap.map { TappedTransport(a, connection: ConnectionID(i + 1), tap: $0, scheduler: scheduler) } ?? a
            servers.append(Peer(id: "s\(i)", transport: serverTransport, context: context))
            let client = Peer(id: "c\(i)", transport: b, context: context, configuration: .client)
            client.onRequest { .accept($0.data) }
            clients.append(client)
        }
        var done = 0
        for server in servers {
            for _ in 0..<2000 {
                server.request("echo", ["n": 1]) { if case .success = $0 { done += 1 } }
            }
        }
        scheduler.runUntilIdle()
        precondition(done == 20_000)
        return done
    }
}
