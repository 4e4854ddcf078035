import Foundation
import Logging
import Protoo
import ProtooTestSupport
import Testing

/// Issue: a percent-encoded newline in a client-supplied value must never start a log line of its
/// own, in the library's metadata or in `protoo serve`'s log.
@Suite(.timeLimit(.minutes(1)))
struct LogForgingTests {
    static let forged = "x%0A2026-12-07T10:00:00%2B0000%20critical%20protoo.server:%20FORGED"

    @Test func aNewlineInAPeerIDNeverStartsALineInServesLog() async throws {
        let serve = try await ProtooChild(["serve", "--app", "conformance", "--host", "127.0.0.1", "--port", "0"])
        let (client, status) = try await RawWebSocketClient.upgraded(port: serve.port, target: "/?roomId=LOG&peerId=\(Self.forged)")
        #expect(status == "HTTP/1.1 101 Switching Protocols")
        try await client.sendText("null")                  // an invalid protoo message: the server logs a warning naming the peer
        #expect(try await client.echoes(id: 1))            // after it was read
        await client.close()
        try await waitUntil("the warning") { serve.log.contains("dropped invalid message") }
        serve.stop()
        let lines = serve.log.split(separator: "\n")
        #expect(!lines.contains { $0.hasPrefix("2026-12-07T10:00:00") }, "a forged line:\n\(serve.log)")
        #expect(serve.log.contains(#"x\n2026-12-07T10:00:00+0000 critical protoo.server: FORGED"#), "\(serve.log)")
    }

    @Test func logSafeEscapesEveryLineBreakingCharacter() {
        #expect(LogSafe.text("plain id-1 ünïcødé") == "plain id-1 ünïcødé")
        #expect(LogSafe.text("a\nb\rc\td") == #"a\nb\rc\td"#)
        #expect(LogSafe.text("a\u{1B}[31mred\u{7F}\u{85}\u{2028}\u{202E}z\\") == #"a\u{1B}[31mred\u{7F}\u{85}\u{2028}\u{202E}z\"#)
        #expect(Logger.MetadataValue.untrusted("x\ny").description == #"x\ny"#)
    }
}
