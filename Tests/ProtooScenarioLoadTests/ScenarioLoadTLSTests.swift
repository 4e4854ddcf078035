import Foundation
import NIOSSL
import Protoo
import ProtooApps
import ProtooScenarioLoad
import ProtooScenarios
import ProtooTestSupport
import ProtooWebSocket
import Testing

/// `wss://`: the scenario's clients over TLS, trusting a test certificate (library and CLI `--ca`).
@Suite(.serialized) struct ScenarioLoadTLSTests {
    static func certificate() throws -> (cert: String, key: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("protoo-scenario-tls-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let cert = directory.appendingPathComponent("cert.pem").path, key = directory.appendingPathComponent("key.pem").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                             "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        try #require(openssl.terminationStatus == 0, "openssl is needed to make a test certificate")
        return (cert, key)
    }

    @Test func theClientsConnectOverTLS() async throws {
        let (cert, key) = try Self.certificate()
        let tls = ProtooServer.Configuration.TLS(certificatePath: cert, privateKeyPath: key)
        try await withServer(app: { EchoApp(context: $0) }, configure: { $0.tls = tls }) { server in
            var configuration = ScenarioLoadTests.configuration(server, rooms: 1, peers: 3, duration: .seconds(1))
            configuration.url = "wss://127.0.0.1:\(server.port)/"
            var trusting = TLSConfiguration.makeClientConfiguration()
            trusting.trustRoots = .file(cert)
            configuration.tls = trusting
            let report = try await ScenarioLoad(configuration, scenario: .echo).run()
            #expect(report.connections == 3 && report.invariantBreaks == 0 && report.clientRequests >= 3, "\(report.text)")

            let cli = try await ProtooTool.runAsync(["load", "wss://127.0.0.1:\(server.port)/", "--scenario", "echo", "--ca", cert]
                                                    + LoadScenarioCommandTests.small)
            #expect(cli.status == 0, "\(cli.outputText)\n\(cli.error)")
            // Without the certificate's root, no client gets in: nothing measured.
            let untrusted = try await ProtooTool.runAsync(["load", "wss://127.0.0.1:\(server.port)/", "--scenario", "echo"] + LoadScenarioCommandTests.small)
            #expect(untrusted.status == 2, "\(untrusted.outputText)\n\(untrusted.error)")
        }
    }
}
