import Foundation
import NIOSSL
import Protoo
import ProtooClient
import ProtooProxy
import ProtooWebSocket
import ProtooTestSupport
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

        try await withServer(configure: { $0.tls = tls }) { upstream in
            try await withProxy(to: "wss://127.0.0.1:\(upstream.port)", configure: { $0.upstreamTLS = trusting }, server: { $0.tls = tls }) { proxy in
                let client = try await ProtooClient.start(url: "wss://127.0.0.1:\(proxy.port)/?peerId=secure",
                                                          configuration: .init(reconnect: nil, tls: trusting, logger: Harness.quietLogger))
                var events = client.events.makeAsyncIterator()
                #expect(await events.next() == .open)
                #expect(try await client.request("echo", ["tls": "both ways"]) == ["tls": "both ways"])
                await client.close()
            }
            // An upstream whose certificate is not trusted is unreachable: 502.
            try await withProxy(to: "wss://127.0.0.1:\(upstream.port)") { untrusting in
                guard case .refused(let status, _) = try await WireClient.dial("ws://127.0.0.1:\(untrusting.port)/?peerId=x") else {
                    Issue.record("an untrusted upstream certificate was accepted")
                    return
                }
                #expect(status == 502)
            }
        }
    }
}
