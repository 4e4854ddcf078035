/// The server-wide cap on bytes held for messages not received whole yet: fragments being
/// reassembled and frames partly read, over all connections.
///
/// Each server ``WebSocketConnection`` reports what it holds after every read. Once the total
/// passes `limit`, the connections holding the most are failed with 1009 (message too big) until
/// the total is back under. The server runs on one event loop, so this is a plain counter there;
/// not `Sendable`.
package final class PartialMessageBudget {
    /// Bytes all connections may hold together.
    package let limit: Int
    /// Bytes held now.
    package private(set) var total = 0
    private var held: [ObjectIdentifier: (connection: WebSocketConnection, bytes: Int)] = [:]

    package init(limit: Int) {
        self.limit = max(0, limit)
    }

    /// Records that `connection` now holds `bytes`; fails the largest holders if the total is over.
    package func update(_ connection: WebSocketConnection, holding bytes: Int) {
        let key = ObjectIdentifier(connection)
        let previous = held[key]?.bytes ?? 0
        guard bytes != previous else { return }
        total += bytes - previous
        held[key] = bytes == 0 ? nil : (connection, bytes)
        if total > limit { shed() }
    }

    /// Fails connections, largest holding first, until the total is within the limit.
    private func shed() {
        for (key, entry) in held.sorted(by: { $0.value.bytes > $1.value.bytes }) {
            guard total > limit else { return }
            held[key] = nil
            total -= entry.bytes
            // It drops what it holds; its own report of 0 finds nothing left to remove.
            entry.connection.partialMessageBudgetExceeded(limit: limit)
        }
    }
}
