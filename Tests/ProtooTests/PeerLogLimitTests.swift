import Foundation
import Logging
@testable import Protoo
import Testing

/// A peer that receives junk logs a few warnings, limited on the virtual scheduler's clock (so
/// the same run logs the same lines), and a summary when it closes.
struct PeerLogLimitTests {
    final class Lines: @unchecked Sendable {  // guarded by `lock`
        private let lock = NSLock()
        private var all: [(message: String, metadata: Logger.Metadata)] = []
        func append(_ message: String, _ metadata: Logger.Metadata) { lock.withLock { all.append((message, metadata)) } }
        var messages: [(message: String, metadata: Logger.Metadata)] { lock.withLock { all } }
    }

    struct Handler: LogHandler {
        let lines: Lines
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .warning
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) { lines.append("\(event.message)", event.metadata ?? [:]) }
    }

    @Test func invalidMessagesAreLoggedFiveTimesThenOncePerTenSecondsThenSummarized() throws {
        let lines = Lines()
        let (context, scheduler) = EngineContext.virtual(seed: 1, logger: Logger(label: "test") { _ in Handler(lines: lines) })
        let (serverEnd, clientEnd) = MemoryTransport.pair(scheduler: scheduler)
        let peer = Peer(id: "junk", transport: serverEnd, context: context)
        for _ in 0..<100 { clientEnd.send("null") }
        scheduler.run(until: scheduler.now)
        #expect(lines.messages.filter { $0.message == "dropped invalid message" }.count == 5)
        scheduler.advance(by: .seconds(10))
        clientEnd.send("null")
        clientEnd.send("null")
        scheduler.run(until: scheduler.now)
        let dropped = lines.messages.filter { $0.message == "dropped invalid message" }
        #expect(dropped.count == 6)
        #expect(dropped.last?.metadata["suppressed"] == "95")
        peer.close()
        scheduler.run(until: scheduler.now)
        #expect(lines.messages.last?.message == "dropped invalid message: 1 more not logged")
    }
}
