import Protoo

/// One event of a trace: when (nanoseconds since the trace's monotonic origin), on which
/// connection, and what happened.
public struct TraceRecord: Sendable, Hashable {
    /// The times a trace can hold: ±2^62 ns (±146 years) around its origin. Readers refuse a record
    /// outside (a damaged or hand-made file), so that no tool does arithmetic near `Int64.max`.
    public static let validTimes: ClosedRange<Int64> = -(1 << 62)...(1 << 62)
    /// The connection ids a trace can hold (the JSON-lines form writes them as signed numbers).
    public static let validConnections: ClosedRange<UInt64> = 0...UInt64(Int64.max)

    /// Nanoseconds since ``TraceHeader/monotonicOrigin`` (engine clock, never wall time).
    public var time: Int64
    /// The connection the event belongs to (0 for trace-wide markers).
    public var connection: ConnectionID
    /// What happened.
    public var event: TraceEvent

    public init(time: Int64, connection: ConnectionID, event: TraceEvent) {
        self.time = time
        self.connection = connection
        self.event = event
    }
}

/// What a ``TraceRecord`` records.
public enum TraceEvent: Sendable, Hashable {
    /// A connection attempt: the request target (`/?roomId=…&peerId=…`), the recorded headers
    /// and the remote address.
    case connectionRequested(target: String, headers: [TraceHeaderField], remoteAddress: String)
    /// The app accepted the connection.
    case accepted
    /// The app refused the connection with an HTTP status.
    case rejected(status: Int, reason: String)
    /// A message the server received, exact wire text.
    case messageIn(String)
    /// A message the server sent, exact wire text.
    case messageOut(String)
    /// The connection ended.
    case closed(code: UInt16?, reason: String, initiator: TraceCloseInitiator)
    /// A named annotation (scenario step, test checkpoint, operator note).
    case marker(name: String, text: String)

    /// The kind of this event.
    public var kind: TraceRecordKind {
        switch self {
        case .connectionRequested: return .connectionRequested
        case .accepted: return .accepted
        case .rejected: return .rejected
        case .messageIn: return .messageIn
        case .messageOut: return .messageOut
        case .closed: return .closed
        case .marker: return .marker
        }
    }
}

/// One recorded HTTP header of a connection request.
public struct TraceHeaderField: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// A record from ``TraceReader/nextUndecoded()``: either a `messageOut`'s bytes, in the reader's
/// buffer, or any other record's event.
package struct UndecodedRecord {
    package var time: Int64
    package var connection: ConnectionID
    /// A `messageOut`'s UTF-8 (unvalidated), valid until the reader's next call.
    package var messageOut: UnsafeBufferPointer<UInt8>?
    /// The event of any other kind.
    package var event: TraceEvent?
}

/// Who ended a connection, seen from the server.
public enum TraceCloseInitiator: String, Sendable, Hashable, CaseIterable {
    /// The server closed or aborted it.
    case server
    /// The client sent a close frame.
    case client
    /// The connection was lost without a close frame.
    case network

    /// Maps the engine's view (the server is the local side).
    public init(_ initiator: TransportCloseEvent.Initiator) {
        switch initiator {
        case .local: self = .server
        case .remote: self = .client
        case .network: self = .network
        }
    }
}

/// The kinds of records; the raw value is the tag byte in the binary encoding.
public enum TraceRecordKind: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case connectionRequested = 1
    case accepted = 2
    case rejected = 3
    case messageIn = 4
    case messageOut = 5
    case closed = 6
    case marker = 7

    /// The name used in JSON lines (`"kind"`), e.g. `messageIn`.
    public var description: String {
        switch self {
        case .connectionRequested: return "connectionRequested"
        case .accepted: return "accepted"
        case .rejected: return "rejected"
        case .messageIn: return "messageIn"
        case .messageOut: return "messageOut"
        case .closed: return "closed"
        case .marker: return "marker"
        }
    }

    /// The kind named `name` in JSON lines.
    public init?(name: String) {
        guard let k = Self.allCases.first(where: { $0.description == name }) else { return nil }
        self = k
    }
}
