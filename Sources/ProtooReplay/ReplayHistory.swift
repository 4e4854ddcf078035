import Protoo

/// The replay's last events, for divergence reports: a fixed ring, formatted only when needed.
struct ReplayHistory {
    struct Entry {
        var time: Int64
        var connection: ConnectionID
        var direction: StaticString
        var text: String
    }

    private var ring: [Entry?]
    private var next = 0

    init(capacity: Int) { ring = Array(repeating: nil, count: max(0, capacity)) }

    mutating func add(_ time: Int64, _ connection: ConnectionID, _ direction: StaticString, _ text: String) {
        guard !ring.isEmpty else { return }
        ring[next] = Entry(time: time, connection: connection, direction: direction, text: text)
        next = (next + 1) % ring.count
    }

    /// Oldest first, one line each.
    var lines: [String] {
        guard !ring.isEmpty else { return [] }
        return (0..<ring.count).compactMap { ring[(next + $0) % ring.count] }.map { e in
            let text = e.text.count > 160 ? String(e.text.prefix(157)) + "..." : e.text
            return "\(Instant(nanoseconds: e.time)) #\(e.connection) \(e.direction) \(text)"
        }
    }
}
