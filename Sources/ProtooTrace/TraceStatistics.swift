import Protoo

/// Summary figures of a trace, accumulated record by record (what `protoo trace info` prints).
public struct TraceStatistics: Sendable {
    public private(set) var records: UInt64 = 0
    public private(set) var recordsByKind: [TraceRecordKind: UInt64] = [:]
    public private(set) var firstTime: Int64?
    public private(set) var lastTime: Int64?
    public private(set) var connections: Set<ConnectionID> = []
    public private(set) var peers: Set<String> = []
    public private(set) var rooms: Set<String> = []
    /// Messages per direction (`in`/`out`) and label (`request join`, `notification downlinkBwe`,
    /// `response`, `error response`, `invalid`).
    public private(set) var messages: [String: [String: UInt64]] = ["in": [:], "out": [:]]
    /// Total wire-text bytes per direction.
    public private(set) var messageBytes: [String: UInt64] = ["in": 0, "out": 0]

    public init() {}

    /// Adds one record.
    public mutating func add(_ record: TraceRecord) {
        records += 1
        recordsByKind[record.event.kind, default: 0] += 1
        firstTime = min(firstTime ?? record.time, record.time)
        lastTime = max(lastTime ?? record.time, record.time)
        if record.connection != 0 || record.event.kind != .marker { connections.insert(record.connection) }
        switch record.event {
        case .connectionRequested(let target, _, _):
            let (_, query) = ConnectionRequest.parseTarget(target)
            if let p = query.first(where: { $0.name == "peerId" })?.value { peers.insert(p) }
            if let r = query.first(where: { $0.name == "roomId" })?.value { rooms.insert(r) }
        case .messageIn(let text):
            count(text, direction: "in")
        case .messageOut(let text):
            count(text, direction: "out")
        default:
            break
        }
    }

    private mutating func count(_ text: String, direction: String) {
        messageBytes[direction, default: 0] += UInt64(text.utf8.count)
        messages[direction, default: [:]][Self.label(text), default: 0] += 1
    }

    /// `request join`, `notification downlinkBwe`, `response`, `error response` or `invalid`.
    public static func label(_ text: String) -> String {
        guard let m = try? Message.decode(text) else { return "invalid" }
        switch m {
        case .request(_, let method, _): return "request \(method)"
        case .notification(let method, _): return "notification \(method)"
        case .successResponse: return "response"
        case .errorResponse: return "error response"
        }
    }

    /// Seconds from the first to the last record.
    public var durationSeconds: Double {
        guard let f = firstTime, let l = lastTime else { return 0 }
        return Double(l - f) / 1e9
    }
}
