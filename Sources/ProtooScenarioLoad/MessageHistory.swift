import Foundation
import Protoo

/// A scenario client's last messages (each cut to ``maxCharacters``), kept for the report of a
/// broken invariant: what the client sent and received just before.
final class MessageHistory {
    enum Direction: String { case sent = "→", received = "←", closed = "×" }

    static let capacity = 8
    static let maxCharacters = 240
    private var entries: [(at: Instant, direction: Direction, text: String)] = []
    private var next = 0

    func record(_ direction: Direction, _ text: String, at: Instant) {
        let cut = text.utf8.count > Self.maxCharacters ? String(decoding: text.utf8.prefix(Self.maxCharacters), as: UTF8.self) + "…" : text
        append((at, direction, cut))
    }

    func record(_ direction: Direction, _ bytes: UnsafeRawBufferPointer, at: Instant) {
        let cut = String(decoding: bytes.prefix(Self.maxCharacters), as: UTF8.self) + (bytes.count > Self.maxCharacters ? "…" : "")
        append((at, direction, cut))
    }

    private func append(_ entry: (at: Instant, direction: Direction, text: String)) {
        if entries.count < Self.capacity {
            entries.append(entry)
        } else {
            entries[next] = entry
            next = (next + 1) % Self.capacity
        }
    }

    /// Oldest first, each as `12.345s → {"request":true,…}` (times from `origin`), client text escaped.
    func lines(since origin: Instant) -> [String] {
        let ordered = Array(entries[next...]) + Array(entries[..<next])
        return ordered.map { entry in
            let seconds = Double((entry.at - origin).nanoseconds) / 1e9
            return "\(String(format: "%.3f", seconds))s \(entry.direction.rawValue) \(LogSafe.text(entry.text))"
        }
    }
}
