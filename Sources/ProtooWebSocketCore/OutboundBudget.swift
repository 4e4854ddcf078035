#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// The server-wide cap on bytes written to connections and not yet taken by their sockets (a
/// client that sends but never reads makes its connection hold what the server sends it).
///
/// Each server ``WebSocketConnection`` reports what its socket still holds after every flush and
/// while that drains. Once the total passes `limit`, the connections holding the most are dropped
/// until the total is back under. After a burst (the total fell back from over 32 MiB to a
/// quarter of its peak) the allocator is asked to return freed memory to the system
/// (`malloc_trim`), so that the server's resident memory goes back near idle once such clients
/// are gone. One event loop, so a plain counter; not `Sendable`.
package final class OutboundBudget {
    /// Bytes all connections may hold together.
    package let limit: Int
    /// Bytes held now.
    package private(set) var total = 0
    /// The most held since the allocator last returned memory.
    package private(set) var peak = 0
    private var held: [ObjectIdentifier: (connection: WebSocketConnection, bytes: Int)] = [:]
    /// How many times memory was handed back (for tests and the log).
    package private(set) var trims = 0
    /// Where the hand-back is scheduled (a second after the burst ended, so that what the burst
    /// allocated besides the unsent bytes — messages, connections — is freed by then).
    private let eventLoop: (any EventLoop)?
    private var trimScheduled = false

    package init(limit: Int, eventLoop: (any EventLoop)? = nil) {
        self.limit = max(0, limit)
        self.eventLoop = eventLoop
    }

    /// Records that `connection`'s socket now holds `bytes` unsent; drops the largest holders if
    /// the total is over.
    package func update(_ connection: WebSocketConnection, holding bytes: Int) {
        let key = ObjectIdentifier(connection)
        let previous = held[key]?.bytes ?? 0
        guard bytes != previous else { return }
        total += bytes - previous
        held[key] = bytes == 0 ? nil : (connection, bytes)
        peak = max(peak, total)
        if total > limit { shed() }
        if peak > 32 << 20, total <= peak / 4 { returnMemory() }
    }

    /// Drops connections, largest holding first, until the total is within the limit.
    private func shed() {
        for (key, entry) in held.sorted(by: { $0.value.bytes > $1.value.bytes }) {
            guard total > limit else { return }
            held[key] = nil
            total -= entry.bytes
            entry.connection.outboundBudgetExceeded(limit: limit)
        }
    }

    private func returnMemory() {
        peak = total
        guard let eventLoop else { return trimNow() }
        guard !trimScheduled else { return }
        trimScheduled = true
        eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) { [self] in
            trimScheduled = false
            trimNow()
        }
    }

    private func trimNow() {
        trims += 1
        _ = Self.mallocTrim?(0)
    }

    /// glibc's `malloc_trim`, looked up once (`<malloc.h>` is not in the Glibc module); `nil` elsewhere.
    private static let mallocTrim: (@convention(c) (Int) -> Int32)? = {
        #if canImport(Glibc)
        guard let symbol = dlsym(nil, "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
        #else
        return nil
        #endif
    }()
}
