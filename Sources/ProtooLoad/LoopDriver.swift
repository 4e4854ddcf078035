import NIOCore
import Protoo
import ProtooClient

/// Drives the requests of the peers that share one event loop, for one run. Lives on that loop
/// (reached through `NIOLoopBound`); completes `done` with its statistics once the issuing time is
/// over and its in-flight requests are answered, or the drain timeout passed.
final class LoopDriver {
    private let loop: any EventLoop
    private let clients: [ProtooClient]
    private let method: String
    private let data: JSONValue
    private let window: Int
    private let endNanoseconds: UInt64
    private let drainTimeout: TimeAmount
    /// Open loop: nanoseconds between two arrivals on this loop; `nil`: closed loop.
    private let arrivalInterval: Double?
    private let done: EventLoopPromise<LoadStatistics>

    private var stats = LoadStatistics()
    private var inFlight: [Int]
    private var alive: [Bool]
    private var totalInFlight = 0
    private var issuing = true
    private var finished = false
    private var nextArrival = 0.0
    private var nextPeer = 0
    private var drainTimer: Scheduled<Void>?

    /// - Parameter rate: this loop's share of the open loop's arrivals per second, `nil` for the closed loop.
    init(loop: any EventLoop, clients: [ProtooClient], method: String, data: JSONValue, window: Int,
         duration: Duration, drainTimeout: Duration, rate: Double?) {
        self.loop = loop
        self.clients = clients
        self.method = method
        self.data = data
        self.window = window
        self.drainTimeout = .nanoseconds(drainTimeout.nanoseconds)
        self.arrivalInterval = rate.map { 1e9 / $0 }
        self.done = loop.makePromise(of: LoadStatistics.self)
        inFlight = Array(repeating: 0, count: clients.count)
        alive = Array(repeating: true, count: clients.count)
        let now = NIODeadline.now().uptimeNanoseconds
        stats.startNanoseconds = now
        endNanoseconds = now + UInt64(duration.nanoseconds)
    }

    /// Starts issuing; the future completes with this loop's statistics.
    func start() -> EventLoopFuture<LoadStatistics> {
        let bound = NIOLoopBound(self, eventLoop: loop)
        loop.assumeIsolated().scheduleTask(deadline: .uptimeNanoseconds(endNanoseconds)) { bound.value.stopIssuing() }
        if let arrivalInterval {
            // Spread the loops' first arrivals over one interval (the clients are in a random order anyway).
            nextArrival = Double(stats.startNanoseconds) + arrivalInterval / 2
            scheduleArrivals()
        } else {
            let now = stats.startNanoseconds
            for peer in clients.indices {
                for _ in 0..<window where alive[peer] && issuing { send(peer, intendedAt: now) }
            }
        }
        return done.futureResult
    }

    private func send(_ peer: Int, intendedAt intended: UInt64) {
        inFlight[peer] += 1
        totalInFlight += 1
        stats.issued += 1
        let bound = NIOLoopBound(self, eventLoop: loop)
        clients[peer].request(method, data) { result in bound.value.answered(peer, intendedAt: intended, result) }
    }

    private func answered(_ peer: Int, intendedAt intended: UInt64, _ result: Result<JSONValue, any Error>) {
        guard !finished else { return }
        inFlight[peer] -= 1
        totalInFlight -= 1
        let now = NIODeadline.now().uptimeNanoseconds
        switch result {
        case .success:
            stats.completed += 1
            stats.recordLatency(nanoseconds: now &- intended)
        case .failure(let error):
            stats.recordError(error)
            if (error as? ProtooError)?.errorCode == .rejected { stats.recordLatency(nanoseconds: now &- intended) }
            if LoadStatistics.peerIsGone(after: error) { alive[peer] = false }
        }
        if !issuing {
            if totalInFlight == 0 { finish() }
        } else if arrivalInterval == nil, alive[peer] {
            send(peer, intendedAt: now)
        }
    }

    // MARK: Open loop

    private func scheduleArrivals() {
        guard issuing, arrivalInterval != nil else { return }
        issueDueArrivals(upTo: NIODeadline.now().uptimeNanoseconds)
        guard nextArrival < Double(endNanoseconds) else { return }
        let bound = NIOLoopBound(self, eventLoop: loop)
        loop.assumeIsolated().scheduleTask(deadline: .uptimeNanoseconds(UInt64(nextArrival))) { bound.value.scheduleArrivals() }
    }

    /// Issues (or drops) every arrival scheduled at or before `now` and before the end.
    private func issueDueArrivals(upTo now: UInt64) {
        guard let arrivalInterval else { return }
        let end = Double(endNanoseconds)
        while nextArrival <= Double(now), nextArrival < end {
            arrive(at: UInt64(nextArrival))
            nextArrival += arrivalInterval
        }
    }

    private func arrive(at time: UInt64) {
        // Round-robin over the peers that can still send.
        for _ in clients.indices {
            let peer = nextPeer
            nextPeer = (nextPeer + 1) % clients.count
            guard alive[peer] else { continue }
            if inFlight[peer] >= window {
                stats.droppedArrivals += 1
            } else {
                send(peer, intendedAt: time)
            }
            return
        }
        stats.droppedArrivals += 1 // every peer is gone
    }

    // MARK: End

    /// Stops issuing (the duration is over, or the run was stopped); in-flight requests drain.
    func stopIssuing() {
        guard issuing else { return }
        // A busy loop may run this before the last arrivals' timer: they were due, so they still count.
        issueDueArrivals(upTo: min(endNanoseconds, NIODeadline.now().uptimeNanoseconds))
        issuing = false
        if totalInFlight == 0 { return finish() }
        let bound = NIOLoopBound(self, eventLoop: loop)
        drainTimer = loop.assumeIsolated().scheduleTask(in: drainTimeout) { bound.value.finish() }
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        drainTimer?.cancel()
        stats.unfinished = totalInFlight
        stats.endNanoseconds = NIODeadline.now().uptimeNanoseconds
        done.succeed(stats)
    }
}
