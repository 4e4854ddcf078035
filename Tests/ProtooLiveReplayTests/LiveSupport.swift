import Foundation
import Logging
import Protoo
import ProtooApps
import ProtooClient
import ProtooTrace
import ProtooTestSupport
import ProtooWebSocket
import Testing

func temporaryPath(_ name: String) -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("protoo-live-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent(name).path
}

/// Runs `body` with a server on port 0 running `app` (the conformance app by default) whose
/// traffic is recorded at `path`. Once `body` returned, the recording waits for every connection's
/// close (a client's `close()` returns once the server answered it), then the server shuts down and
/// the recorder writes its trailer; both also when `body` throws.
@discardableResult
func withRecordingServer<T>(to path: String, app: @escaping ProtooAppFactory = Harness.conformance,
                            isolation: isolated (any Actor)? = #isolation,
                            _ body: (ProtooServer) async throws -> T) async throws -> T {
    var configuration = TraceRecorderConfiguration(path: path, header: TraceHeader(createdAtUnixNanoseconds: 0, producerName: "test",
                                                                                  producerVersion: "test", host: "test"))
    configuration.overflowPolicy = .block
    let recorder = try TraceRecorder(configuration: configuration)
    let tap = CountingTap(recorder)
    let result: T
    do {
        result = try await withServer(app: app, configure: { $0.trafficTap = tap }) { server in
            let result = try await body(server)
            try await waitUntil("every connection's close recorded (\(tap.open) open)") { tap.open == 0 }
            return result
        }
    } catch {
        try? recorder.close()
        throw error
    }
    try recorder.close()
    return result
}

func openClient(_ port: Int, query: String, answers: Bool = false) async throws -> ProtooClient {
    let policy = ProtooClient.ReconnectPolicy(retries: 10, factor: 2, minDelay: .milliseconds(20), maxDelay: .milliseconds(80))
    let client = try await ProtooClient.start(url: "ws://127.0.0.1:\(port)/?\(query)",
                                              configuration: ProtooClient.Configuration(reconnect: policy, logger: Harness.quietLogger))
    if answers {
        await client.onRequest { method, data in
            guard method == "ask" else { throw ProtooError.reject(418, "teapot") }
            return ["answer": 42, "echo": data]
        }
    }
    try await waitUntil("open") { (try? await client.request("echo", ["ready": true])) != nil }
    return client
}

/// The conformance app with its `reject` answered 502 instead of 503: a deliberately changed server.
final class ChangedRejectCodeApp: ProtooApp {
    let inner: ConformanceApp
    init(context: EngineContext) { inner = ConformanceApp(context: context) }

    func handleConnection(_ request: ConnectionRequest) {
        let wrapped = ConnectionRequest(
            path: request.path, query: request.query, headers: request.headers, remoteAddress: request.remoteAddress,
            accept: { RewritingTransport(request.accept()) },
            reject: { request.reject(status: $0, reason: $1) })
        inner.handleConnection(wrapped)
    }
}

/// Rewrites `"errorCode":503` to 502 in what the app sends.
final class RewritingTransport: Transport, TransportDelegate {
    let inner: any Transport
    var delegate: (any TransportDelegate)?
    init(_ inner: any Transport) {
        self.inner = inner
        inner.delegate = self
    }
    var isClosed: Bool { inner.isClosed }
    func send(_ text: String) { inner.send(text.replacingOccurrences(of: "\"errorCode\":503", with: "\"errorCode\":502")) }
    func close(code: UInt16, reason: String) { inner.close(code: code, reason: reason) }
    func abort() { inner.abort() }
    func transport(_ transport: any Transport, didReceive text: String) { delegate?.transport(self, didReceive: text) }
    func transport(_ transport: any Transport, didClose event: TransportCloseEvent) {
        let d = delegate
        delegate = nil
        d?.transport(self, didClose: event)
    }
}

/// Writes `records` as a trace at `path` (binary or `.jsonl`, by extension).
func writeTrace(_ records: [TraceRecord], to path: String) throws {
    let sink = try TraceFiles.createSink(path, header: TraceHeader(createdAtUnixNanoseconds: 0, producerName: "test",
                                                                   producerVersion: "test", host: "test"))
    for r in records { try sink.write(r) }
    try sink.close(endTime: nil)
}

/// A port nothing listens on: a server's, once it shut down.
func deadPort() async throws -> Int {
    try await withServer { $0.port }
}

/// A client's events as they come (`open`, `disconnected`, …).
final class ClientEvents: Sendable {
    private actor Log {
        var all: [ProtooClient.Event] = []
        func add(_ e: ProtooClient.Event) { all.append(e) }
    }
    private let log = Log()
    private let watcher: Task<Void, Never>

    init(_ client: ProtooClient) {
        let log = self.log
        watcher = Task { for await e in client.events { await log.add(e) } }
    }

    deinit { watcher.cancel() }

    var all: [ProtooClient.Event] { get async { await log.all } }

    /// Waits until the client saw its connection lost and opened a new one: a request sent before
    /// it saw the loss would go down with the old connection and wait for its timeout.
    func waitForReconnect(timeout: Duration = .seconds(10)) async throws {
        try await waitUntil("reconnected", timeout: timeout) { await log.all.drop { $0 != .disconnected }.contains(.open) }
    }
}
