import Protoo

/// Picks records of a trace by connection, peer, room, method and time (`protoo trace cat`'s
/// filters), following each connection from its `connectionRequested` record: a record passes
/// when it matches every filter given. A response's method is that of the request it answers.
public struct TraceRecordFilter {
    /// Only these connections (empty: any).
    public var connections: Set<ConnectionID> = []
    /// Only connections whose URL has this `peerId` / `roomId`.
    public var peer: String?
    public var room: String?
    /// Only messages of this method (other records never pass).
    public var method: String?
    /// Only records at or after / at or before these times (nanoseconds since the trace origin).
    public var from: Int64?
    public var to: Int64?

    private var peers: [ConnectionID: String] = [:]
    private var rooms: [ConnectionID: String] = [:]
    /// The method of the last record ``admits(_:)`` read, if it was a message.
    public private(set) var lastMethod: String?
    /// Requests in flight: (connection, direction of the request, id) → method.
    private var requestMethods: [RequestKey: String] = [:]

    private struct RequestKey: Hashable {
        var connection: ConnectionID
        var fromClient: Bool
        var id: RequestID
    }

    public init() {}

    /// `true` when no filter is set.
    public var isEmpty: Bool {
        connections.isEmpty && peer == nil && room == nil && method == nil && from == nil && to == nil
    }

    /// The peer and room of a connection seen so far.
    public func peer(of connection: ConnectionID) -> String? { peers[connection] }
    public func room(of connection: ConnectionID) -> String? { rooms[connection] }

    /// The method of a message record (for a response: of its request, if the trace has it).
    public mutating func method(of record: TraceRecord) -> String? {
        let text: String, fromClient: Bool
        switch record.event {
        case .messageIn(let t): (text, fromClient) = (t, true)
        case .messageOut(let t): (text, fromClient) = (t, false)
        default: return nil
        }
        guard let message = try? Message.decode(text) else { return nil }
        switch message {
        case .request(let id, let method, _):
            requestMethods[RequestKey(connection: record.connection, fromClient: fromClient, id: id)] = method
            return method
        case .notification(let method, _):
            return method
        case .successResponse(let id, _), .errorResponse(let id, _, _):
            return requestMethods.removeValue(forKey: RequestKey(connection: record.connection, fromClient: !fromClient, id: id))
        }
    }

    /// Reads `record` (every record must pass through here, in order) and says whether it passes.
    public mutating func admits(_ record: TraceRecord) -> Bool {
        if case .connectionRequested(let target, _, _) = record.event {
            let query = ConnectionRequest.parseTarget(target).query
            if let p = query.first(where: { $0.name == "peerId" })?.value { peers[record.connection] = p }
            if let r = query.first(where: { $0.name == "roomId" })?.value { rooms[record.connection] = r }
        }
        let recordMethod = method(of: record)
        lastMethod = recordMethod
        if let from, record.time < from { return false }
        if let to, record.time > to { return false }
        if !connections.isEmpty, !connections.contains(record.connection) { return false }
        if let peer, peers[record.connection] != peer { return false }
        if let room, rooms[record.connection] != room { return false }
        if let method, recordMethod != method { return false }
        return true
    }
}
