import Protoo

/// The JSON-lines form of a trace (schema in docs/trace-format.md): an optional header line,
/// one line per record, an optional trailer line. For `jq`, diffs and hand-written traces.
public enum TraceJSONLines {
    /// One decoded line.
    public enum Line: Sendable, Hashable {
        case header(TraceHeader)
        case record(TraceRecord)
        /// The trailer line: what the JSON lines cannot derive from the records.
        case trailer(droppedRecords: UInt64, endTime: Int64?)
    }

    /// The record as one line (no newline).
    public static func encode(_ record: TraceRecord) -> String {
        var o = JSONObject()
        o["t"] = .int(record.time)
        o["conn"] = .int(Int64(bitPattern: record.connection))
        o["kind"] = .string(record.event.kind.description)
        switch record.event {
        case .connectionRequested(let target, let headers, let remoteAddress):
            o["target"] = .string(target)
            o["headers"] = .array(headers.map { .object(JSONObject([("name", .string($0.name)), ("value", .string($0.value))])) })
            o["remoteAddress"] = .string(remoteAddress)
        case .accepted:
            break
        case .rejected(let status, let reason):
            o["status"] = .int(Int64(status))
            o["reason"] = .string(reason)
        case .messageIn(let text), .messageOut(let text):
            o["text"] = .string(text)
        case .closed(let code, let reason, let initiator):
            o["code"] = code.map { .int(Int64($0)) } ?? .null
            o["reason"] = .string(reason)
            o["initiator"] = .string(initiator.rawValue)
        case .marker(let name, let text):
            o["name"] = .string(name)
            o["text"] = .string(text)
        }
        return JSONWriter.string(.object(o))
    }

    /// The header as one line.
    public static func encode(_ header: TraceHeader) -> String {
        var o = JSONObject()
        o["kind"] = "header"
        o["formatVersion"] = .int(Int64(header.formatVersion))
        o["createdAtUnixNs"] = .int(header.createdAtUnixNanoseconds)
        o["monotonicOriginNs"] = .int(header.monotonicOrigin.nanoseconds)
        o["producerName"] = .string(header.producerName)
        o["producerVersion"] = .string(header.producerVersion)
        o["host"] = .string(header.host)
        if let s = header.scenario { o["scenario"] = .string(s) }
        if let s = header.seed { o["seed"] = s <= UInt64(Int64.max) ? .int(Int64(s)) : .string(String(s)) }
        return JSONWriter.string(.object(o))
    }

    /// The trailer as one line.
    public static func encode(_ trailer: TraceTrailer) -> String {
        var counts = JSONObject()
        for k in TraceRecordKind.allCases { counts[k.description] = .int(Int64(bitPattern: trailer.recordCounts[k] ?? 0)) }
        var o = JSONObject([
            ("kind", "trailer"), ("droppedRecords", .int(Int64(bitPattern: trailer.droppedRecords))),
            ("endTime", .int(trailer.endTime)), ("counts", .object(counts)),
        ])
        if let r = trailer.recorder {
            o["recorderPeakBufferedBytes"] = .int(Int64(clamping: r.peakBufferedBytes))
            o["recorderBufferBytes"] = .int(Int64(clamping: r.bufferBytes))
            o["recorderBlockedRecords"] = .int(Int64(clamping: r.blockedRecords))
        }
        if let reason = trailer.sourceEndedEarly { o["sourceEndedEarly"] = .string(reason) }
        return JSONWriter.string(.object(o))
    }

    /// Decodes one line; `line` is its 1-based number, for errors.
    public static func decode(_ text: String, line: Int) throws(TraceError) -> Line {
        let value: JSONValue
        do { value = try JSONParser.parse(text) } catch { throw TraceError.invalidJSONLine(line: line, reason: error.description) }
        guard case .object(let o) = value else { throw TraceError.invalidJSONLine(line: line, reason: "not a JSON object") }
        let fields = Fields(object: o, line: line)
        let kind = try fields.string("kind")
        switch kind {
        case "header":
            let seed: UInt64?
            switch o["seed"] {
            case .int(let i)?: seed = UInt64(bitPattern: i)
            case .string(let s)?: seed = UInt64(s)
            default: seed = nil
            }
            return .header(TraceHeader(
                createdAtUnixNanoseconds: try fields.optionalInt("createdAtUnixNs") ?? 0,
                monotonicOrigin: Instant(nanoseconds: try fields.optionalInt("monotonicOriginNs") ?? 0),
                producerName: o["producerName"]?.stringValue ?? "", producerVersion: o["producerVersion"]?.stringValue ?? "",
                host: o["host"]?.stringValue ?? "", scenario: o["scenario"]?.stringValue, seed: seed,
                formatVersion: try Self.supportedVersion(fields.optionalInt("formatVersion") ?? 1, line: line)))
        case "trailer":
            return .trailer(droppedRecords: UInt64(clamping: try fields.optionalInt("droppedRecords") ?? 0),
                            endTime: try fields.optionalInt("endTime"))
        default:
            guard let recordKind = TraceRecordKind(name: kind) else {
                throw TraceError.invalidJSONLine(line: line, reason: "unknown kind \"\(kind)\"")
            }
            let time = try fields.int("t")
            guard TraceRecord.validTimes.contains(time) else {
                throw TraceError.invalidJSONLine(line: line, reason: "t \(time) is beyond the format's range (±2^62 ns)")
            }
            let rawConnection = try fields.optionalInt("conn") ?? 0
            guard rawConnection >= 0 else { throw TraceError.invalidJSONLine(line: line, reason: "conn must be 0 or more") }
            let connection = UInt64(rawConnection)
            let event: TraceEvent
            switch recordKind {
            case .connectionRequested:
                var headers: [TraceHeaderField] = []
                for h in o["headers"]?.arrayValue ?? [] {
                    guard let name = h["name"]?.stringValue, let value = h["value"]?.stringValue else {
                        throw TraceError.invalidJSONLine(line: line, reason: "headers must be [{\"name\":…,\"value\":…}]")
                    }
                    headers.append(TraceHeaderField(name: name, value: value))
                }
                event = .connectionRequested(target: try fields.string("target"), headers: headers,
                                             remoteAddress: o["remoteAddress"]?.stringValue ?? "")
            case .accepted:
                event = .accepted
            case .rejected:
                event = .rejected(status: Int(try fields.int("status")), reason: o["reason"]?.stringValue ?? "")
            case .messageIn:
                event = .messageIn(try fields.string("text"))
            case .messageOut:
                event = .messageOut(try fields.string("text"))
            case .closed:
                let code = try fields.optionalInt("code")
                guard code.map({ UInt16(exactly: $0) != nil }) ?? true else {
                    throw TraceError.invalidJSONLine(line: line, reason: "code must be 0…65535 or null")
                }
                guard let initiator = TraceCloseInitiator(rawValue: try fields.string("initiator")) else {
                    throw TraceError.invalidJSONLine(line: line, reason: "initiator must be server, client or network")
                }
                event = .closed(code: code.map { UInt16($0) }, reason: o["reason"]?.stringValue ?? "", initiator: initiator)
            case .marker:
                event = .marker(name: try fields.string("name"), text: o["text"]?.stringValue ?? "")
            }
            return .record(TraceRecord(time: time, connection: connection, event: event))
        }
    }

    /// Typed field access with line-numbered errors.
    private struct Fields {
        let object: JSONObject
        let line: Int

        func string(_ key: String) throws(TraceError) -> String {
            guard let s = object[key]?.stringValue else { throw TraceError.invalidJSONLine(line: line, reason: "\"\(key)\" must be a string") }
            return s
        }

        func int(_ key: String) throws(TraceError) -> Int64 {
            guard let v = try optionalInt(key) else { throw TraceError.invalidJSONLine(line: line, reason: "\"\(key)\" is missing") }
            return v
        }

        func optionalInt(_ key: String) throws(TraceError) -> Int64? {
            switch object[key] {
            case nil, .null?: return nil
            case .int(let i)?: return i
            default: throw TraceError.invalidJSONLine(line: line, reason: "\"\(key)\" must be an integer")
            }
        }
    }

    /// A header's format version, when this reader knows it (the binary reader's rule).
    static func supportedVersion(_ version: Int64, line: Int) throws(TraceError) -> UInt16 {
        guard let v = UInt16(exactly: version), v >= 1 else {
            throw TraceError.invalidJSONLine(line: line, reason: "formatVersion must be 1…\(TraceHeader.currentFormatVersion)")
        }
        guard v <= TraceHeader.currentFormatVersion else { throw TraceError.unsupportedVersion(v) }
        return v
    }
}
