import Foundation
import Protoo

/// What `protoo trace info` reports about a trace: its header, duration, connections, peers,
/// rooms, messages by direction and method, sizes, and any damage, as one JSON object whose keys
/// keep a fixed order.
public struct TraceSummary: Sendable {
    /// The report; its members are printed in this order.
    public private(set) var report: JSONObject
    /// The damage that stopped reading the records (the report covers the records before it).
    public let readError: TraceError?

    /// Reads every record of `source`; `fileBytes` is the size of the file it reads (0: unknown).
    public init(_ source: any TraceRecordSource, fileBytes: Int) {
        var stats = TraceStatistics()
        var readError: TraceError?
        do {
            while let r = try source.next() { stats.add(r) }
        } catch {
            readError = error
        }
        self.readError = readError
        report = Self.report(source, stats: stats, fileBytes: fileBytes, readError: readError)
    }

    private static func report(_ source: any TraceRecordSource, stats: TraceStatistics, fileBytes: Int,
                               readError: TraceError?) -> JSONObject {
        let reader = source as? TraceReader
        var o = JSONObject()
        let h = source.header
        o["formatVersion"] = .int(Int64(h.formatVersion))
        o["createdAt"] = .string(Self.iso8601(unixNanoseconds: h.createdAtUnixNanoseconds))
        o["producer"] = .string("\(h.producerName) \(h.producerVersion)")
        o["host"] = .string(h.host)
        if let s = h.scenario { o["scenario"] = .string(s) }
        if let s = h.seed { o["seed"] = .string(String(s)) }
        o["durationSeconds"] = .double(stats.durationSeconds)
        o["records"] = .int(Int64(stats.records))
        o["connections"] = .int(Int64(stats.connections.count))
        o["peers"] = .int(Int64(stats.peers.count))
        o["rooms"] = .array(stats.rooms.sorted().map { .string($0) })
        o["messages"] = .object(messageCounts(stats))
        o["messageBytesIn"] = .int(Int64(stats.messageBytes["in"] ?? 0))
        o["messageBytesOut"] = .int(Int64(stats.messageBytes["out"] ?? 0))
        if let t = reader?.trailer {
            o["encodedBytes"] = .int(Int64(t.rawBytes))
            o["droppedRecords"] = .int(Int64(t.droppedRecords))
            o["frames"] = .int(Int64(t.index.count))
            if let r = t.recorder {
                o["recorderBufferBytes"] = .int(Int64(clamping: r.bufferBytes))
                o["recorderPeakBufferedBytes"] = .int(Int64(clamping: r.peakBufferedBytes))
                o["recorderBlockedRecords"] = .int(Int64(clamping: r.blockedRecords))
            }
            if let reason = t.sourceEndedEarly { o["sourceEndedEarly"] = .string(reason) }
        }
        o["fileBytes"] = .int(Int64(fileBytes))
        if fileBytes > 0 {
            let raw = (stats.messageBytes["in"] ?? 0) + (stats.messageBytes["out"] ?? 0)
            o["messageBytesPerFileByte"] = .double((Double(raw) / Double(fileBytes) * 100).rounded() / 100)
        }
        if let t = reader?.truncation { o["truncated"] = .string(t.description) }
        if !source.damages.isEmpty { o["metadataDamage"] = .array(source.damages.map { .string($0.description) }) }
        if let readError { o["corrupt"] = .string(readError.description) }
        return o
    }

    /// Messages by direction, then by method, most frequent first (ties by name: the order never
    /// depends on hashing).
    private static func messageCounts(_ stats: TraceStatistics) -> JSONObject {
        var messages = JSONObject()
        for (direction, byLabel) in stats.messages.sorted(by: { $0.key < $1.key }) {
            var d = JSONObject()
            for (label, n) in byLabel.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
                d[label] = .int(Int64(n))
            }
            messages[direction] = .object(d)
        }
        return messages
    }

    private static func iso8601(unixNanoseconds: Int64) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(unixNanoseconds) / 1e9))
    }

    /// The report for reading: one `key: value` line per member, an object's members indented.
    public var text: String {
        var lines: [String] = []
        for m in report {
            if case .object(let inner) = m.value {
                lines.append("\(m.key):")
                for i in inner { lines.append("  \(i.key): \(i.value)") }
            } else {
                lines.append("\(m.key): \(m.value.stringValue ?? m.value.description)")
            }
        }
        return lines.joined(separator: "\n")
    }
}
