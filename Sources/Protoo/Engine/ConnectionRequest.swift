/// A connection attempt (the WebSocket upgrade request, or its simulated twin) awaiting the app's
/// decision. Only the first of ``accept()`` / ``reject(status:reason:)`` counts.
///
/// Decide inside ``ProtooApp/handleConnection(_:)``, or call ``deferDecision()`` there and decide
/// later on the engine's scheduler (e.g. once another server answered): a request left undecided
/// without deferring is refused with HTTP 500.
public final class ConnectionRequest {
    /// The request target as received, path and query still encoded, e.g. `/?peerId=a%20b`.
    public let target: String
    /// The request target's path, e.g. `/`.
    public let path: String
    /// The query items, in order, percent-decoded (`?roomId=abc&peerId=xyz`).
    public let query: [(name: String, value: String)]
    /// The HTTP headers of the upgrade request, in order.
    public let headers: [(name: String, value: String)]
    /// The `Origin` header, if any.
    public var origin: String? { header("origin") }
    /// The remote socket address, e.g. `127.0.0.1:53312`.
    public let remoteAddress: String

    /// What the app decided.
    public enum Decision {
        case accepted(any Transport)
        case rejected(status: Int, reason: String)
    }

    private let acceptor: () -> any Transport
    private let rejector: (Int, String) -> Void
    public private(set) var decision: Decision?
    /// Set by ``deferDecision()``: the decision comes after `handleConnection` returns.
    public private(set) var isDeferred = false

    /// A request; `target` defaults to `path` with the query items re-joined (unencoded).
    public init(path: String, query: [(name: String, value: String)], headers: [(name: String, value: String)],
                remoteAddress: String, target: String? = nil,
                accept: @escaping () -> any Transport, reject: @escaping (Int, String) -> Void) {
        self.target = target ?? (query.isEmpty ? path : path + "?" + query.map { "\($0.name)=\($0.value)" }.joined(separator: "&"))
        self.path = path
        self.query = query
        self.headers = headers
        self.remoteAddress = remoteAddress
        self.acceptor = accept
        self.rejector = reject
    }

    /// The first value of query item `name`.
    public func queryValue(_ name: String) -> String? { query.first { $0.name == name }?.value }

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }

    /// Accepts the connection and returns its transport (give it to ``Room/createPeer(id:transport:configuration:)``).
    /// Calling it again returns the same transport; after a rejection it returns a closed transport.
    @discardableResult
    public func accept() -> any Transport {
        switch decision {
        case .accepted(let t): return t
        case .rejected: return ClosedTransport()
        case nil:
            let t = acceptor()
            decision = .accepted(t)
            return t
        }
    }

    /// Announces that ``accept()`` or ``reject(status:reason:)`` will be called after
    /// `handleConnection` returns, on the engine's scheduler. The server then keeps the upgrade
    /// waiting, bounded by its handshake timeout; a decision after that is ignored (a late accept
    /// returns a closed transport). Call it inside `handleConnection`; calling it after deciding does nothing.
    public func deferDecision() {
        guard decision == nil else { return }
        isDeferred = true
    }

    /// Refuses the connection with an HTTP status (protoo's default: 403 "Rejected").
    public func reject(status: Int = 403, reason: String = "Rejected") {
        guard decision == nil else { return }
        decision = .rejected(status: status, reason: reason)
        rejector(status, reason)
    }

    /// Splits `path?query` into a path and decoded query items.
    public static func parseTarget(_ target: String) -> (path: String, query: [(name: String, value: String)]) {
        guard let q = target.firstIndex(of: "?") else { return (target, []) }
        let path = String(target[..<q])
        var items: [(name: String, value: String)] = []
        for part in target[target.index(after: q)...].split(separator: "&", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = percentDecode(pieces[0])
            let value = pieces.count > 1 ? percentDecode(pieces[1]) : ""
            items.append((name, value))
        }
        return (path, items)
    }

    /// Why a request target's query cannot be read as text: an item whose percent-decoded bytes
    /// are not UTF-8 (`%FF`, `%E2%82`); `nil` when every item is. Servers refuse such a target
    /// (400) rather than repair it: repaired, different raw ids would become the same id.
    public static func queryProblem(_ target: String) -> String? {
        guard let q = target.firstIndex(of: "?") else { return nil }
        for part in target[target.index(after: q)...].split(separator: "&", omittingEmptySubsequences: true) {
            for piece in part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            where String(validating: percentDecodedBytes(piece), as: UTF8.self) == nil {
                return "the query is not UTF-8 once percent-decoded"
            }
        }
        return nil
    }

    static func percentDecode(_ s: Substring) -> String {
        guard s.contains("%") || s.contains("+") else { return String(s) }
        return String(decoding: percentDecodedBytes(s), as: UTF8.self)
    }

    static func percentDecodedBytes(_ s: Substring) -> [UInt8] {
        var bytes: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let c = it.popFirst() {
            if c == UInt8(ascii: "+") {
                bytes.append(0x20)
            } else if c == UInt8(ascii: "%"), it.count >= 2,
                      let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(v)
                it = it.dropFirst(2)
            } else {
                bytes.append(c)
            }
        }
        return bytes
    }
}

/// A transport that is closed from the start.
final class ClosedTransport: Transport {
    weak var delegate: (any TransportDelegate)?
    var isClosed: Bool { true }
    func send(_ text: String) {}
    func close(code: UInt16, reason: String) {}
    func abort() {}
}
