import Protoo

/// The replay's last events, for divergence reports: a fixed ring, formatted only when needed.
/// Message bytes are copied into the ring's own buffers (at most ``keptBytes`` each, more than a
/// report line shows), so the hot path neither allocates nor retains a string.
package struct ReplayHistory {
    struct Entry {
        var time: Int64 = 0
        var connection: ConnectionID = 0
        var direction: StaticString = ""
        var text: String?
        var bytes: [UInt8] = []
        /// The message was longer than the bytes kept.
        var cut = false
    }

    /// Lines show at most 157 characters of a longer text; 1 kB holds them unless the characters
    /// average more than 6 bytes (then a text of 160 characters or fewer is shown clipped too).
    static let keptBytes = 1024

    private var ring: [Entry]
    private var next = 0
    private var filled = 0

    package init(capacity: Int) { ring = Array(repeating: Entry(), count: max(0, capacity)) }

    package mutating func add(_ time: Int64, _ connection: ConnectionID, _ direction: StaticString, _ text: String) {
        guard !ring.isEmpty else { return }
        ring[next].time = time
        ring[next].connection = connection
        ring[next].direction = direction
        ring[next].text = text
        advance()
    }

    /// A message given as its UTF-8 (copied, up to ``keptBytes``).
    mutating func add(_ time: Int64, _ connection: ConnectionID, _ direction: StaticString, utf8: UnsafeBufferPointer<UInt8>) {
        guard !ring.isEmpty else { return }
        ring[next].time = time
        ring[next].connection = connection
        ring[next].direction = direction
        ring[next].text = nil
        ring[next].bytes.removeAll(keepingCapacity: true)
        ring[next].bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8.prefix(Self.keptBytes)))
        ring[next].cut = utf8.count > Self.keptBytes
        advance()
    }

    private mutating func advance() {
        next = (next + 1) % ring.count
        filled = min(filled + 1, ring.count)
    }

    /// Oldest first, one line each.
    package var lines: [String] {
        guard !ring.isEmpty else { return [] }
        let oldest = (next - filled + ring.count) % ring.count
        return (0..<filled).map { ring[(oldest + $0) % ring.count] }.map { e in
            let full = e.text ?? String(decoding: e.bytes, as: UTF8.self)
            let text = e.text == nil && e.cut || full.count > 160 ? String(full.prefix(157)) + "..." : full
            return "\(Instant(nanoseconds: e.time)) #\(e.connection) \(e.direction) \(text)"
        }
    }
}
