import Foundation
import NIOSSL
import Protoo
import ProtooClient
import ProtooProxy
import ProtooWebSocket
import Testing

/// wss:// on both sides: clients → proxy (the server's TLS) and proxy → upstream (`upstreamTLS`).
@Suite(.timeLimit(.minutes(1)))
struct ProxyTLSTests {
    @Test func secureClientsThroughASecureUpstream() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("protoo-proxy-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let cert = directory.appendingPathComponent("cert.pem").path, key = directory.appendingPathComponent("key.pem").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                             "-days", "1", "-subj", "/CN=localhost"]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        try #require(openssl.terminationStatus == 0, "openssl is needed to make a test certificate")
        var trusting = TLSConfiguration.makeClientConfiguration()
        trusting.trustRoots = .file(cert)
        trusting.certificateVerification = .noHostnameVerification
        let tls = ProtooServer.Configuration.TLS(certificatePath: cert, privateKeyPath: key)

        let upstream = try await Harness.server(Harness.conformance) { $0.tls = tls }
        var configuration = try ProxyConfiguration(upstream: "wss://127.0.0.1:\(upstream.port)", logger: Harness.quietLogger)
        configuration.upstreamTLS = trusting
        let proxy = try await Harness.server(ProxyApp.factory(configuration)) { $0.tls = tls }

        let client = try await ProtooClient.start(url: "wss://127.0.0.1:\(proxy.port)/?peerId=secure",
                                                  configuration: .init(reconnect: nil, tls: trusting, logger: Harness.quietLogger))
        var events = client.events.makeAsyncIterator()
        #expect(await events.next() == .open)
        #expect(try await client.request("echo", ["tls": "both ways"]) == ["tls": "both ways"])
        await client.close()

        // An upstream whose certificate is not trusted is unreachable: 502.
        let untrusting = try await Harness.server(ProxyApp.factory(try ProxyConfiguration(upstream: "wss://127.0.0.1:\(upstream.port)", logger: Harness.quietLogger)))
        guard case .refused(let status, _) = try await WireClient.dial("ws://127.0.0.1:\(untrusting.port)/?peerId=x") else {
            Issue.record("an untrusted upstream certificate was accepted")
            return
        }
        #expect(status == 502)
        await untrusting.shutdown()
        await proxy.shutdown()
        await upstream.shutdown()
    }
}
