import Foundation
import NIOCore
import NIOPosix
import Protoo
import ProtooClient
import ProtooTestSupport
import Synchronization
import Testing

/// `deploy/haproxy/haproxy.cfg` for real: three `protoo serve --app conference` behind Debian's
/// HAProxy, 300 clients in 30 rooms. No room is split; a backend stopped with SIGTERM drains, its
/// clients reconnect through HAProxy and their rooms come back whole on the survivors; nothing
/// else moves. Skipped where haproxy is not installed (.ci/run installs it).
@Suite(.serialized, .timeLimit(.minutes(5)))
struct HAProxyTests {
    static let haproxy = ["/usr/sbin/haproxy", "/usr/bin/haproxy"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// One client: its room, its view of the room's other peers (the join answer, then `newPeer`
    /// and `peerClosed`), re-joining on every open.
    final class Member: Sendable {
        let id: String, room: String
        let client: ProtooClient
        private let state = Mutex(State())
        struct State {
            var others: Set<String> = []
            var opens = 0, disconnects = 0, joins = 0
        }

        init(id: String, room: String, client: ProtooClient) {
            self.id = id
            self.room = room
            self.client = client
        }

        var snapshot: State { state.withLock { $0 } }

        func start() async {
            await client.onNotification { [self] method, data in
                self.state.withLock { s in
                    if method == "newPeer", let id = data["id"]?.stringValue { s.others.insert(id) }
                    if method == "peerClosed", let id = data["peerId"]?.stringValue { s.others.remove(id) }
                }
            }
            let client = self.client, id = self.id
            Task { [self] in
                for await event in client.events {
                    switch event {
                    case .open:
                        self.state.withLock { $0.opens += 1; $0.others = [] }
                        Task { [self] in
                            guard let joined = try? await client.request("join", ["displayName": .string(id)]) else { return }
                            let peers = (joined["peers"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
                            self.state.withLock { $0.others.formUnion(peers); $0.joins += 1 }
                        }
                    case .disconnected:
                        self.state.withLock { $0.disconnects += 1 }
                    default:
                        break
                    }
                }
            }
        }
    }

    private static func freePort() async throws -> Int {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let channel = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        try await group.shutdownGracefully()
        return port
    }

    private static func scrape(_ backend: ProtooChild, metricsPort: Int) async throws -> (peers: Int, rooms: Int) {
        let text = try await RawTCP.exchange(port: metricsPort, request: "GET /metrics HTTP/1.0\r\n\r\n", timeout: .seconds(20)).response
        func value(_ name: String) -> Int {
            let line = text.split(separator: "\n").first { $0.hasPrefix(name + " ") }
            return line.flatMap { Double($0.split(separator: " ").last ?? "") }.map { Int($0) } ?? -1
        }
        return (value("protoo_peers"), value("protoo_rooms"))
    }

    @Test(.enabled(if: haproxy != nil, "haproxy is not installed (Debian package haproxy): the deployment test is skipped"))
    func roomsStayWholeAndMoveOnlyWhenTheirBackendDrains() async throws {
        let haproxy = try #require(Self.haproxy)
        var backends: [ProtooChild] = [], metricsPorts: [Int] = []
        for _ in 0..<3 {
            let child = try await ProtooChild(["serve", "--app", "conference", "--port", "0", "--metrics", "127.0.0.1:0",
                                               "--drain-timeout", "2s", "--log-level", "error"])
            let line = try #require(child.log.split(separator: "\n").first { $0.contains("metrics on http://127.0.0.1:") })
            metricsPorts.append(try #require(Int(line.split(separator: ":").last?.split(separator: "/").first ?? "")))
            backends.append(child)
        }
        let front = try await Self.freePort()
        let config = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("deploy/haproxy/haproxy.cfg").path
        let proxy = Process()
        proxy.executableURL = URL(fileURLWithPath: haproxy)
        proxy.arguments = ["-db", "-f", config]
        var environment = ProcessInfo.processInfo.environment
        environment["PROTOO_LISTEN"] = "127.0.0.1:\(front)"
        for (i, backend) in backends.enumerated() { environment["PROTOO_BACKEND_\(i + 1)"] = "127.0.0.1:\(backend.port)" }
        proxy.environment = environment
        proxy.standardOutput = FileHandle.nullDevice
        proxy.standardError = FileHandle.nullDevice
        try proxy.run()
        defer {
            proxy.terminate()
            proxy.waitUntilExit()
        }
        // Up once HAProxy answers the health check through to a backend (rise 2 × 500 ms).
        try await waitUntil("HAProxy forwards the health check") {
            (try? await RawTCP.exchange(port: front, request: "GET /health HTTP/1.0\r\n\r\n", timeout: .seconds(5)))?.statusLine == "HTTP/1.1 200 OK"
        }
        try await Task.sleep(for: .seconds(2))  // every backend's checks have risen

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var configuration = ProtooClient.Configuration(reconnect: .init(retries: 60, factor: 2, minDelay: .milliseconds(50), maxDelay: .milliseconds(250)),
                                                       logger: Harness.quietLogger)
        configuration.eventLoopGroup = group
        var members: [Member] = []
        for r in 0..<30 {
            for p in 0..<10 {
                let id = "p\(r)-\(p)", room = "room-\(r)"
                let client = try await ProtooClient.start(url: "ws://127.0.0.1:\(front)/?roomId=\(room)&peerId=\(id)", configuration: configuration)
                let member = Member(id: id, room: room, client: client)
                await member.start()
                members.append(member)
            }
        }
        try await waitUntil("every client sees its room's 9 other peers", timeout: .seconds(60)) {
            members.allSatisfy { $0.snapshot.others.count == 9 }
        }
        var before: [(peers: Int, rooms: Int)] = []
        for (i, backend) in backends.enumerated() { before.append(try await Self.scrape(backend, metricsPort: metricsPorts[i])) }
        #expect(before.map(\.peers).reduce(0, +) == 300 && before.map(\.rooms).reduce(0, +) == 30, "\(before)")
        #expect(before.allSatisfy { $0.peers == $0.rooms * 10 }, "every backend holds whole rooms: \(before)")

        // Stop the busiest backend: SIGTERM drains it (1012), its clients come back elsewhere.
        let victim = before.indices.max { before[$0].rooms < before[$1].rooms } ?? 0
        let clock = ContinuousClock(), stopped = clock.now
        #expect(backends[victim].stop() == 0, "a drained backend exits 0")
        let expected = before[victim].rooms * 10
        try await waitUntil("the drained backend's \(expected) clients saw their close", timeout: .seconds(60)) {
            members.filter { $0.snapshot.disconnects > 0 }.count >= expected
        }
        try await waitUntil("the moved rooms are whole again", timeout: .seconds(60)) {
            members.allSatisfy { $0.snapshot.others.count == 9 && $0.snapshot.opens == 1 + $0.snapshot.disconnects }
        }
        let settled = clock.now - stopped
        let moved = members.filter { $0.snapshot.disconnects > 0 }
        #expect(moved.count == expected, "only the drained backend's clients moved: \(moved.count)")
        #expect(Set(moved.map(\.room)).count == before[victim].rooms)
        var after: [(peers: Int, rooms: Int)] = []
        for i in backends.indices where i != victim { after.append(try await Self.scrape(backends[i], metricsPort: metricsPorts[i])) }
        #expect(after.map(\.peers).reduce(0, +) == 300 && after.allSatisfy { $0.peers == $0.rooms * 10 }, "\(after)")
        print("HAProxyTests: 300 clients in 30 rooms; rooms per backend \(before.map(\.rooms)); backend \(victim + 1) stopped: \(moved.count) clients in \(before[victim].rooms) rooms re-homed whole in \(settled); after: \(after.map(\.rooms))")
        for member in members { await member.client.close() }
        for backend in backends { backend.stop() }
        try await group.shutdownGracefully()
    }
}
