import Protoo

/// A record as one JSON object for people and `jq` (`protoo trace cat --messages`): the time in
/// seconds since the trace origin, the connection with its peer and room, and a message as the
/// JSON object it is (not an escaped string):
///
/// ```json
/// {"t":1.250031,"conn":3,"peer":"alice","room":"r1","kind":"messageIn","method":"join","message":{"request":true,"id":1,"method":"join","data":{}}}
/// ```
public enum TraceReadableLines {
    public static func encode(_ record: TraceRecord, peer: String?, room: String?, method: String?) -> String {
        var o = JSONObject()
        o["t"] = .double((Double(record.time) / 1e9 * 1e6).rounded() / 1e6)
        o["conn"] = .int(Int64(bitPattern: record.connection))
        if let peer { o["peer"] = .string(peer) }
        if let room { o["room"] = .string(room) }
        o["kind"] = .string(record.event.kind.description)
        switch record.event {
        case .messageIn(let text), .messageOut(let text):
            if let method { o["method"] = .string(method) }
            if let value = try? JSONParser.parse(text) { o["message"] = value } else { o["text"] = .string(text) }
        case .connectionRequested(let target, let headers, let remoteAddress):
            o["target"] = .string(target)
            var h = JSONObject()
            for field in headers { h[field.name] = .string(field.value) }
            o["headers"] = .object(h)
            o["remoteAddress"] = .string(remoteAddress)
        case .accepted:
            break
        case .rejected(let status, let reason):
            o["status"] = .int(Int64(status))
            o["reason"] = .string(reason)
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
}
