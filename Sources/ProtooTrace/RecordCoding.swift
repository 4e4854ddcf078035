/// The compact binary encoding of one record inside a block:
/// kind (1 byte), time delta from the previous record of the block (zigzag varint),
/// connection (varint), then the kind's fields (strings are varint length + UTF-8).
enum RecordCoding {
    static func encode(_ record: TraceRecord, previousTime: Int64, into out: ByteStore) {
        encodeHead(kind: record.event.kind, timeDelta: record.time &- previousTime, connection: record.connection, into: out)
        encodeBody(record.event, into: out)
    }

    /// Kind, time delta and connection: what precedes the body.
    @inline(__always)
    static func encodeHead(kind: TraceRecordKind, timeDelta: Int64, connection: UInt64, into out: ByteStore) {
        out.append(kind.rawValue)
        out.appendSignedVarint(timeDelta)
        out.appendVarint(connection)
    }

    /// The kind's fields.
    static func encodeBody(_ event: TraceEvent, into out: ByteStore) {
        switch event {
        case .connectionRequested(let target, let headers, let remoteAddress):
            out.appendString(target)
            out.appendVarint(UInt64(headers.count))
            for h in headers {
                out.appendString(h.name)
                out.appendString(h.value)
            }
            out.appendString(remoteAddress)
        case .accepted:
            break
        case .rejected(let status, let reason):
            out.appendSignedVarint(Int64(status))
            out.appendString(reason)
        case .messageIn(let text), .messageOut(let text):
            out.appendString(text)
        case .closed(let code, let reason, let initiator):
            out.appendVarint(code.map { UInt64($0) + 1 } ?? 0)
            out.appendString(reason)
            out.append(initiatorByte(initiator))
        case .marker(let name, let text):
            out.appendString(name)
            out.appendString(text)
        }
    }

    static func decode(_ cursor: inout ByteCursor, previousTime: Int64) throws(CursorError) -> TraceRecord {
        let head = try decodeHead(&cursor, previousTime: previousTime)
        return TraceRecord(time: head.time, connection: head.connection, event: try decodeBody(head.kind, &cursor))
    }

    /// Kind, time and connection.
    @inline(__always)
    static func decodeHead(_ cursor: inout ByteCursor, previousTime: Int64) throws(CursorError) -> (kind: TraceRecordKind, time: Int64, connection: UInt64) {
        let tagPosition = cursor.position
        let tag = try cursor.byte()
        guard let kind = TraceRecordKind(rawValue: tag) else {
            throw CursorError(position: tagPosition, reason: "unknown record kind \(tag)")
        }
        let delta = try cursor.signedVarint()
        let (time, overflow) = previousTime.addingReportingOverflow(delta)
        guard !overflow, TraceRecord.validTimes.contains(time) else {
            throw CursorError(position: tagPosition, reason: "record time beyond the format's range (±2^62 ns)")
        }
        let connectionPosition = cursor.position
        let connection = try cursor.varint()
        guard TraceRecord.validConnections.contains(connection) else {
            throw CursorError(position: connectionPosition, reason: "connection id \(connection) beyond the format's range")
        }
        return (kind, time, connection)
    }

    /// The fields of a record of `kind`.
    static func decodeBody(_ kind: TraceRecordKind, _ cursor: inout ByteCursor) throws(CursorError) -> TraceEvent {
        let event: TraceEvent
        switch kind {
        case .connectionRequested:
            let target = try cursor.string()
            let n = try cursor.varint()
            guard n <= UInt64(cursor.remaining) else { throw CursorError(position: cursor.position, reason: "header count \(n) exceeds the data") }
            var headers: [TraceHeaderField] = []
            headers.reserveCapacity(Int(n))
            for _ in 0..<n {
                let name = try cursor.string()
                headers.append(TraceHeaderField(name: name, value: try cursor.string()))
            }
            event = .connectionRequested(target: target, headers: headers, remoteAddress: try cursor.string())
        case .accepted:
            event = .accepted
        case .rejected:
            let status = try cursor.signedVarint()
            guard let s = Int(exactly: status) else { throw CursorError(position: cursor.position, reason: "status out of range") }
            event = .rejected(status: s, reason: try cursor.string())
        case .messageIn:
            event = .messageIn(try cursor.string())
        case .messageOut:
            event = .messageOut(try cursor.string())
        case .closed:
            let rawCode = try cursor.varint()
            guard rawCode <= UInt64(UInt16.max) + 1 else { throw CursorError(position: cursor.position, reason: "close code out of range") }
            let reason = try cursor.string()
            let initiatorPosition = cursor.position
            guard let initiator = initiator(try cursor.byte()) else {
                throw CursorError(position: initiatorPosition, reason: "unknown close initiator")
            }
            event = .closed(code: rawCode == 0 ? nil : UInt16(rawCode - 1), reason: reason, initiator: initiator)
        case .marker:
            let name = try cursor.string()
            event = .marker(name: name, text: try cursor.string())
        }
        return event
    }

    static func initiatorByte(_ i: TraceCloseInitiator) -> UInt8 {
        switch i {
        case .server: return 0
        case .client: return 1
        case .network: return 2
        }
    }

    static func initiator(_ b: UInt8) -> TraceCloseInitiator? {
        switch b {
        case 0: return .server
        case 1: return .client
        case 2: return .network
        default: return nil
        }
    }
}
