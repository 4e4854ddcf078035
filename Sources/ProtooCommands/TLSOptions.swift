import ArgumentParser
import ProtooWebSocket

/// `--tls-cert` and `--tls-key`, shared by `serve` and `proxy`: the listening side speaks wss://.
struct TLSOptions: ParsableArguments {
    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain (enables wss://).")
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key (with --tls-cert).")
    var tlsKey: String?

    func validate() throws {
        guard (tlsCert == nil) == (tlsKey == nil) else {
            throw ValidationError("--tls-cert and --tls-key go together")
        }
    }

    /// The server's TLS files, `nil` for plain ws://.
    var tls: ProtooServer.Configuration.TLS? {
        tlsCert.flatMap { cert in tlsKey.map { ProtooServer.Configuration.TLS(certificatePath: cert, privateKeyPath: $0) } }
    }
}
