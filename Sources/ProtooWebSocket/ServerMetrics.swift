import CoreMetrics
import Protoo
import Synchronization

/// The server's metrics, through swift-metrics (whatever backend the process bootstrapped:
/// Prometheus with `protoo serve --metrics`; nothing is kept without one), with Prometheus names
/// and units:
///
/// | series | kind | labels |
/// |---|---|---|
/// | `protoo_connections` | gauge | |
/// | `protoo_peers`, `protoo_rooms` | gauge | |
/// | `protoo_requests_total` | counter | `method`, `outcome` (`ok`, `error`) |
/// | `protoo_request_duration_seconds` | histogram | `method` |
/// | `protoo_notifications_total` | counter | `direction` (`in`, `out`) |
/// | `protoo_connection_refusals_total` | counter | `status` |
/// | `protoo_bytes_total` | counter | `direction` |
///
/// Labels stay bounded: methods beyond ``ProtooServer/Configuration/metricsMethods`` (default:
/// the first 64 seen) count as `other`. It observes the engine (``EngineObserver``) and the
/// traffic (a ``TrafficTap`` in front of the configured one, which it forwards to).
final class ServerMetrics: EngineObserver, TrafficTap, Sendable {
    private let inner: (any TrafficTap & Sendable)?
    private let connections = Gauge(label: "protoo_connections")
    private let peers = Gauge(label: "protoo_peers")
    private let rooms = Gauge(label: "protoo_rooms")
    private let notificationsIn = Counter(label: "protoo_notifications_total", dimensions: [("direction", "in")])
    private let notificationsOut = Counter(label: "protoo_notifications_total", dimensions: [("direction", "out")])
    private let bytesIn = Counter(label: "protoo_bytes_total", dimensions: [("direction", "in")])
    private let bytesOut = Counter(label: "protoo_bytes_total", dimensions: [("direction", "out")])
    private let counts = Mutex(Counts())
    private let methods = Mutex(MethodSeries())
    private let allowed: Set<String>?
    private let limit: Int

    private struct Counts {
        var connections = 0, peers = 0, rooms = 0
        var refusals: [Int: Counter] = [:]
    }

    /// Each method's series, made on first use.
    private struct MethodSeries {
        var byMethod: [String: Series] = [:]
    }

    private struct Series {
        var ok: Counter
        var error: Counter
        var duration: Timer

        init(method: String) {
            ok = Counter(label: "protoo_requests_total", dimensions: [("method", method), ("outcome", "ok")])
            error = Counter(label: "protoo_requests_total", dimensions: [("method", method), ("outcome", "error")])
            duration = Timer(label: "protoo_request_duration_seconds", dimensions: [("method", method)], preferredDisplayUnit: .seconds)
        }
    }

    /// Metrics forwarding the traffic to `inner` (the recorder); methods labelled as themselves
    /// if in `methods` (or, when `nil`, among the first `limit` seen), else `other`.
    init(forwardingTo inner: (any TrafficTap & Sendable)?, methods: Set<String>?, limit: Int = 64) {
        self.inner = inner
        allowed = methods
        self.limit = limit
        for gauge in [connections, peers, rooms] { gauge.record(0) }
    }

    private func series(_ method: String) -> Series {
        methods.withLock { m in
            if let s = m.byMethod[method] { return s }
            let known = allowed.map { $0.contains(method) } ?? (m.byMethod.count < limit)
            let name = known ? method : "other"
            if let s = m.byMethod[name] { return s }
            let s = Series(method: name)
            m.byMethod[name] = s
            return s
        }
    }

    // MARK: EngineObserver

    func peerOpened() { peers.record(counts.withLock { $0.peers += 1; return $0.peers }) }
    func peerClosed() { peers.record(counts.withLock { $0.peers -= 1; return $0.peers }) }
    func roomOpened() { rooms.record(counts.withLock { $0.rooms += 1; return $0.rooms }) }
    func roomClosed() { rooms.record(counts.withLock { $0.rooms -= 1; return $0.rooms }) }

    func requestAnswered(method: String, errorCode: Int?, after: Duration) {
        let s = series(method)
        (errorCode == nil ? s.ok : s.error).increment()
        s.duration.recordNanoseconds(after.nanoseconds)
    }

    func notificationReceived(method: String) { notificationsIn.increment() }

    /// A connection refused with HTTP `status` (by the server's limits or the app).
    func refused(status: Int) {
        let counter = counts.withLock { c in
            if let counter = c.refusals[status] { return counter }
            let counter = Counter(label: "protoo_connection_refusals_total", dimensions: [("status", String(status))])
            c.refusals[status] = counter
            return counter
        }
        counter.increment()
    }

    // MARK: TrafficTap

    func connectionRequested(_ connection: ConnectionID, at time: Instant, target: String,
                             headers: [(name: String, value: String)], remoteAddress: String) {
        inner?.connectionRequested(connection, at: time, target: target, headers: headers, remoteAddress: remoteAddress)
    }

    func connectionAccepted(_ connection: ConnectionID, at time: Instant) {
        connections.record(counts.withLock { $0.connections += 1; return $0.connections })
        inner?.connectionAccepted(connection, at: time)
    }

    func connectionRejected(_ connection: ConnectionID, at time: Instant, status: Int, reason: String) {
        refused(status: status)
        inner?.connectionRejected(connection, at: time, status: status, reason: reason)
    }

    func messageReceived(_ connection: ConnectionID, at time: Instant, text: String) {
        bytesIn.increment(by: text.utf8.count)
        inner?.messageReceived(connection, at: time, text: text)
    }

    func messageSent(_ connection: ConnectionID, at time: Instant, text: String) {
        bytesOut.increment(by: text.utf8.count)
        if text.utf8.starts(with: Self.notificationPrefix) { notificationsOut.increment() }
        inner?.messageSent(connection, at: time, text: text)
    }

    func messageReceived(_ connection: ConnectionID, at time: Instant, utf8: UnsafeRawBufferPointer) {
        bytesIn.increment(by: utf8.count)
        inner?.messageReceived(connection, at: time, utf8: utf8)
    }

    func messageSent(_ connection: ConnectionID, at time: Instant, utf8: UnsafeRawBufferPointer) {
        bytesOut.increment(by: utf8.count)
        if utf8.starts(with: Self.notificationPrefix) { notificationsOut.increment() }
        inner?.messageSent(connection, at: time, utf8: utf8)
    }

    func connectionClosed(_ connection: ConnectionID, at time: Instant, event: TransportCloseEvent) {
        connections.record(counts.withLock { $0.connections -= 1; return $0.connections })
        inner?.connectionClosed(connection, at: time, event: event)
    }

    /// How the server writes every notification it sends.
    private static let notificationPrefix = Array(#"{"notification":true"#.utf8)
}
