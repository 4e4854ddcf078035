import NIOCore
import Protoo
import ProtooWebSocketCore
import ProtooWebSocket

/// Keeps the order of what the upstream server takes in around a close the proxy makes on its
/// upstream side (a client's close frame or drop relayed, an injected fault, shutdown), so that a
/// recording says when the server had taken the close in, and live replay can reproduce it.
///
/// A server may act on a close only once TCP is closed (the JavaScript protoo-server removes the
/// peer then, not when the close frame arrives), so a message another client sends meanwhile may
/// find the peer there or gone: a race a recording must not keep. From the moment the proxy
/// closes an upstream connection until that close completed (close handshake and TCP close over)
/// and the server's event loop went past it (two ping round trips on another upstream
/// connection; at most ``settleLimit`` in all), messages and new connections towards the upstream
/// wait here, in order; then the recorder gets a `closeCompleted` marker and they go. Live replay
/// holds what the recording has after a client's close the same way: until its own close
/// completed and the server turned twice. It costs the relayed traffic about two round trips
/// after each close.
final class UpstreamGate {
    /// The longest a settling close holds the others back (a server that does not answer pings).
    let settleLimit: Duration
    private let scheduler: any Scheduler
    private var settling = 0
    private var held: [() -> Void] = []
    /// An open upstream connection other than the given one's, to ping the server through.
    var probeSocket: (_ excluding: ConnectionID) -> WebSocketConnection? = { _ in nil }

    init(scheduler: any Scheduler, settleLimit: Duration = .seconds(1)) {
        self.scheduler = scheduler
        self.settleLimit = settleLimit
    }

    /// `true` while a close settles: what goes upstream waits.
    var isHolding: Bool { settling > 0 }

    /// Runs `action` now, or once no close is settling any more (in the order of the calls).
    func run(_ action: @escaping () -> Void) {
        if settling > 0 { held.append(action) } else { action() }
    }

    /// The proxy began closing `id`'s upstream side; `closed` completes once TCP is closed (`nil`:
    /// it is). `settled` runs once the server went past the close (the recorder's marker), before
    /// anything held is released.
    func settle(_ id: ConnectionID, closed: EventLoopFuture<Void>?, settled: @escaping () -> Void) {
        var done = false
        let finish = { [self] in
            guard !done else { return }
            done = true
            settled()
            settling -= 1
            release()
        }
        settling += 1
        let limit = scheduler.schedule(after: settleLimit) { finish() }
        let afterTCP = { [self] in probe(2, excluding: id) { limit.cancel(); finish() } }
        if let closed {
            closed.assumeIsolated().whenComplete { _ in afterTCP() }
        } else {
            afterTCP()
        }
    }

    private func probe(_ count: Int, excluding id: ConnectionID, then done: @escaping () -> Void) {
        guard count > 0, let socket = probeSocket(id) else { return done() }
        socket.ping { [self] in probe(count - 1, excluding: id, then: done) }
    }

    private func release() {
        while settling == 0, !held.isEmpty {
            held.removeFirst()()
        }
    }
}
