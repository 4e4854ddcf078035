extension Message {
    /// The wire text, with protoo's key order (`{"request":true,"id":…,"method":…,"data":…}`).
    public func encode() -> String {
        var out: [UInt8] = []
        out.reserveCapacity(96)
        encode(into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the wire bytes to `out`. Data that is falsy in JavaScript (`null`, `false`, `0`,
    /// `""`) goes out as `{}`, as protoo-server and protoo-client write `data || {}`.
    public func encode(into out: inout [UInt8]) {
        switch self {
        case .request(let id, let method, let data):
            JSONWriter.appendASCII("{\"request\":true,\"id\":", &out)
            JSONWriter.writeInt(Int64(id), into: &out)
            JSONWriter.appendASCII(",\"method\":", &out)
            JSONWriter.writeString(method, into: &out)
            JSONWriter.appendASCII(",\"data\":", &out)
            JSONWriter.write(data.isTruthy ? data : .emptyObject, into: &out)
        case .successResponse(let id, let data):
            JSONWriter.appendASCII("{\"response\":true,\"id\":", &out)
            JSONWriter.writeInt(Int64(id), into: &out)
            JSONWriter.appendASCII(",\"ok\":true,\"data\":", &out)
            JSONWriter.write(data.isTruthy ? data : .emptyObject, into: &out)
        case .errorResponse(let id, let code, let reason):
            JSONWriter.appendASCII("{\"response\":true,\"id\":", &out)
            JSONWriter.writeInt(Int64(id), into: &out)
            JSONWriter.appendASCII(",\"errorCode\":", &out)
            JSONWriter.writeInt(Int64(code), into: &out)
            JSONWriter.appendASCII(",\"errorReason\":", &out)
            JSONWriter.writeString(reason, into: &out)
        case .notification(let method, let data):
            JSONWriter.appendASCII("{\"notification\":true,\"method\":", &out)
            JSONWriter.writeString(method, into: &out)
            JSONWriter.appendASCII(",\"data\":", &out)
            JSONWriter.write(data.isTruthy ? data : .emptyObject, into: &out)
        }
        out.append(UInt8(ascii: "}"))
    }
}

/// Message framing around data that is already JSON text (``JSONText``, a ``JSONBuilder``'s bytes):
/// the same bytes as ``Message/encode(into:)`` with that data encoded in place.
enum PreEncoded {
    static func request(id: RequestID, method: String, data: [UInt8], into out: inout [UInt8]) {
        JSONWriter.appendASCII("{\"request\":true,\"id\":", &out)
        JSONWriter.writeInt(Int64(id), into: &out)
        JSONWriter.appendASCII(",\"method\":", &out)
        JSONWriter.writeString(method, into: &out)
        JSONWriter.appendASCII(",\"data\":", &out)
        out.append(contentsOf: data)
        out.append(UInt8(ascii: "}"))
    }

    static func successResponse(id: RequestID, data: [UInt8], into out: inout [UInt8]) {
        JSONWriter.appendASCII("{\"response\":true,\"id\":", &out)
        JSONWriter.writeInt(Int64(id), into: &out)
        JSONWriter.appendASCII(",\"ok\":true,\"data\":", &out)
        out.append(contentsOf: data)
        out.append(UInt8(ascii: "}"))
    }

    /// The notification header, up to and including `"data":`.
    static func notificationHead(method: String, into out: inout [UInt8]) {
        JSONWriter.appendASCII("{\"notification\":true,\"method\":", &out)
        JSONWriter.writeString(method, into: &out)
        JSONWriter.appendASCII(",\"data\":", &out)
    }

    /// A whole notification whose data `write` puts straight into `out` (through a ``JSONBuilder``
    /// that borrows the buffer).
    @inline(__always)
    static func notification(method: String, into out: inout [UInt8], writingData write: (inout JSONBuilder) -> Void) {
        notificationHead(method: method, into: &out)
        var builder = JSONBuilder(bytes: [])
        swap(&builder.bytes, &out)
        write(&builder)
        swap(&builder.bytes, &out)
        out.append(UInt8(ascii: "}"))
    }
}
