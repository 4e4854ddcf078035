import ArgumentParser
import Foundation
import Protoo
import ProtooTrace

/// `protoo trace …`: inspect, print, cut and convert traffic traces.
struct Trace: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect, print, cut and convert traffic traces (.ptrace / .ptrace.zst binary, .jsonl text).",
        subcommands: [Info.self, Cat.self, Cut.self, Convert.self]
    )

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Header, duration, connections, peers, rooms, messages by direction and method, sizes.")
        @Argument(help: "The trace file.") var path: String
        @Flag(help: "Print one JSON object.") var json = false

        func run() throws {
            let source = try TraceFiles.openSource(path)
            let fileSize = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            // Damage to the records: what was read before it is shown, then the error.
            let summary = TraceSummary(source, fileBytes: fileSize)
            print(json ? JSONWriter.string(.object(summary.report)) : summary.text)
            if let readError = summary.readError { throw readError }
        }
    }

    /// One file, or a rotated recording's files in order, as one source.
    static func open(_ paths: [String]) throws -> any TraceRecordSource {
        guard let first = paths.first else { throw ValidationError("give a trace file") }
        return paths.count == 1 ? try TraceFiles.openSource(first) : try TraceSegments(first, continuedBy: Array(paths.dropFirst()))
    }

    struct Cat: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the records as JSON lines (for jq); filter them by connection, peer, room, method and time.",
            discussion: """
                By default each line is the record as the .jsonl format stores it (t in nanoseconds, a message
                as its wire text). --messages prints each record for reading: t in seconds, the connection's
                peer and room, the method, and the message as a JSON object:
                  protoo trace cat run.ptrace.zst --messages --peer alice --method join | jq .message.data
                """)
        @Argument(help: "The trace file; for a rotated recording, its files in order.") var paths: [String]
        @Flag(help: "Also print the header and trailer lines (not with --messages).") var all = false
        @Flag(help: "On damage to the records, go on with the next intact frame (a gap, named on stderr) instead of stopping; the exit code is still 1.")
        var skipDamaged = false
        @Flag(help: "Print each record for reading: t in seconds, peer, room, method, and the message as a JSON object.")
        var messages = false
        @Option(help: "Only the records of connections whose URL has this peerId.") var peer: String?
        @Option(help: "Only the records of connections whose URL has this roomId.") var room: String?
        @Option(help: "Only messages of this method (a response counts as its request's method).") var method: String?
        @Option(help: "Only the records of this connection (repeatable).") var conn: [UInt64] = []
        @Option(help: "From this time since the trace origin: 10s, 1.5m, 500ms (a bare number is seconds).") var from: DurationArgument?
        @Option(help: "Up to this time (inclusive), like --from.") var to: DurationArgument?

        func validate() throws {
            if all && messages { throw ValidationError("--all prints the .jsonl header and trailer: not with --messages") }
        }

        func run() throws {
            let source = try Trace.open(paths)
            var out = FileHandleOutput()
            var filter = TraceRecordFilter()
            filter.peer = peer
            filter.room = room
            filter.method = method
            filter.connections = Set(conn.map { ConnectionID($0) })
            filter.from = from?.duration.nanoseconds
            filter.to = to?.duration.nanoseconds
            // Damage to the records: every record verified before it is printed, then the error.
            defer { out.flush() }
            if all { out.line(TraceJSONLines.encode(source.header)) }
            var firstDamage: TraceError?
            while true {
                do {
                    guard let r = try source.next() else { break }
                    guard filter.admits(r) else { continue }
                    if messages {
                        let method: String?
                        switch r.event {
                        case .messageIn, .messageOut: method = filter.lastMethod
                        default: method = nil
                        }
                        out.line(TraceReadableLines.encode(r, peer: filter.peer(of: r.connection), room: filter.room(of: r.connection), method: method))
                    } else {
                        out.line(TraceJSONLines.encode(r))
                    }
                } catch {
                    guard skipDamaged, let reader = source as? TraceReader else { throw error }
                    firstDamage = firstDamage ?? error
                    let gap = try reader.skipDamage(after: error)
                    out.flush()
                    FileHandle.standardError.write(Data("warning: \(error)\nwarning: skipped bytes \(gap.map { "\($0.lowerBound)..<\($0.upperBound)" } ?? "to the end"); records there are lost\n".utf8))
                }
            }
            if all, let t = (source as? TraceReader)?.trailer { out.line(TraceJSONLines.encode(t)) }
            out.flush()
            Trace.warn(about: source)
            if let firstDamage { throw firstDamage }
        }
    }

    /// Warns on standard error about a truncated or damaged source (records were read anyway).
    static func warn(about source: any TraceRecordSource) {
        var lines: [String] = []
        if let t = source.truncation { lines.append("warning: \(t)") }
        if let reason = source.sourceEndedEarly { lines.append("warning: this trace was copied from one that ended early: \(reason)") }
        for d in source.damages { lines.append("warning: \(d)") }
        if !lines.isEmpty { FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8)) }
    }

    /// Copies `source` to a new trace at `output` (never over an input, never half-written),
    /// passing each record through `keep`. The copy's trailer says when the source ended early.
    /// With `salvage`, damage to the records ends the copy instead of failing it.
    static func copy(_ source: any TraceRecordSource, inputs: [String], to output: String, salvage: Bool,
                     keep: (TraceRecord) -> Bool) throws -> (written: Int, damage: TraceError?) {
        let file = try ReplacingOutput(output, inputs: inputs)
        let sink = try TraceFiles.createSink(file.temporaryPath, header: source.header)
        var written = 0
        var damage: TraceError?
        do {
            while let r = try source.next() {
                guard keep(r) else { continue }
                try sink.write(r)
                written += 1
            }
        } catch {
            guard salvage, error.errorCode == .corrupt else { throw error }
            damage = error
        }
        if let reader = source as? TraceReader, let t = reader.trailer { sink.recordDropped(t.droppedRecords) }
        if let reader = source as? JSONLinesTraceReader { sink.recordDropped(reader.droppedRecords) }
        if let damage, case .corrupt(let offset, let reason) = damage.kind {
            sink.markSourceEndedEarly("damaged at byte offset \(offset): \(reason)")
        } else if let t = source.truncation {
            sink.markSourceEndedEarly(t.description)
        } else if let reason = source.sourceEndedEarly {
            sink.markSourceEndedEarly(reason)
        }
        try sink.close(endTime: nil)
        try file.commit()
        return (written, damage)
    }

    struct Cut: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy the records in a time window and/or of one room or peer to a new trace.",
            discussion: "Given a rotated recording's files in order (run.ptrace.zst run.0*.ptrace.zst), it joins them into one trace.")
        @Argument(help: "The trace file; for a rotated recording, its files in order.") var paths: [String]
        @Option(help: "Start, since the trace origin: 10s, 1.5m, 500ms (a bare number is seconds).") var from: DurationArgument?
        @Option(help: "End (inclusive), since the trace origin, like --from.") var to: DurationArgument?
        @Option(help: "Only connections whose URL has this roomId.") var room: String?
        @Option(help: "Only connections whose URL has this peerId.") var peer: String?
        @Option(name: .shortAndLong, help: "Output file (.ptrace, .ptrace.zst or .jsonl); never one of the inputs. Written to a temporary file beside it and renamed into place when complete.") var output: String
        @Flag(help: "On damage to the records, keep every record verified before it (the copy's trailer says where the source was damaged) instead of failing.")
        var salvage = false

        func run() throws {
            let source = try Trace.open(paths)
            let fromNs = from.map { $0.duration.nanoseconds }
            let toNs = to.map { $0.duration.nanoseconds }
            let filterConnections = room != nil || peer != nil
            if let fromNs, !filterConnections, let reader = source as? TraceReader { try reader.seek(toTime: fromNs) }
            var selected: [ConnectionID: Bool] = [:]
            let (written, damage) = try Trace.copy(source, inputs: paths, to: output, salvage: salvage) { r in
                if case .connectionRequested(let target, _, _) = r.event {
                    let query = ConnectionRequest.parseTarget(target).query
                    let matches = (room.map { q in query.contains { $0.name == "roomId" && $0.value == q } } ?? true)
                        && (peer.map { q in query.contains { $0.name == "peerId" && $0.value == q } } ?? true)
                    selected[r.connection] = matches
                }
                if let fromNs, r.time < fromNs { return false }
                if let toNs, r.time > toNs { return false }
                if filterConnections && r.connection != 0 && selected[r.connection] != true { return false }
                return true
            }
            Trace.warn(about: source)
            if let damage {
                FileHandle.standardError.write(Data("salvaged: the records after the damage are lost: \(damage)\n".utf8))
            }
            FileHandle.standardError.write(Data("wrote \(written) records to \(output)\n".utf8))
        }
    }

    struct Convert: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Convert between JSON lines (.jsonl) and compressed traces (.ptrace, .ptrace.zst), by extension.")
        @Argument(help: "Input file.") var input: String
        @Argument(help: "Output file; never the input. Written to a temporary file beside it and renamed into place when complete.") var output: String

        func run() throws {
            let source = try TraceFiles.openSource(input)
            let (n, _) = try Trace.copy(source, inputs: [input], to: output, salvage: false) { _ in true }
            Trace.warn(about: source)
            FileHandle.standardError.write(Data("converted \(n) records to \(output)\n".utf8))
        }
    }
}

/// Buffered standard output for large `cat` runs.
struct FileHandleOutput {
    private var buffer: [UInt8] = []

    mutating func line(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        buffer.append(0x0A)
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        FileHandle.standardOutput.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}
