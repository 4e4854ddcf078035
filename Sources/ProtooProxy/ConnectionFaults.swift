import Foundation
import Protoo
import ProtooWebSocketCore

/// One relayed connection's fault decisions, drawn from seeded streams: the same seed and
/// connection number give the same decisions. Each direction has its own stream (the k-th message
/// each way is lost, or delayed, the same way whatever the interleaving), and the timed faults
/// (drop, server close, clog) a third one.
struct ConnectionFaults {
    /// A timed fault.
    enum Event: Sendable, Hashable, CustomStringConvertible {
        case drop, serverClose, clog

        var description: String {
            switch self {
            case .drop: "drop"
            case .serverClose: "server close"
            case .clog: "clog"
            }
        }
    }

    let faults: ProxyFaults
    private var toUpstream: SeededRandom
    private var toClient: SeededRandom
    private var timed: SeededRandom
    /// The next strike of each timed fault with a rate.
    private var upcoming: [(at: Instant, event: Event)] = []

    /// The decisions of connection `connection` (1, 2, … in the order the proxy saw them) under `seed`.
    init(_ faults: ProxyFaults, seed: UInt64, connection: UInt64) {
        self.faults = faults
        func stream(_ k: UInt64) -> SeededRandom {
            SeededRandom(seed: seed ^ (connection &* 0x9E37_79B9_7F4A_7C15) ^ (k &* 0xD1B5_4A32_D192_ED03))
        }
        toUpstream = stream(1)
        toClient = stream(2)
        timed = stream(3)
    }

    /// For the next message towards `upstream` (else towards the client): whether it is lost, and
    /// the delay it gets otherwise (latency plus its share of jitter).
    mutating func nextMessage(towardsUpstream upstream: Bool) -> (lost: Bool, delay: Duration) {
        func draw(_ random: inout SeededRandom) -> (Bool, Duration) {
            let lost = faults.lossProbability > 0 && random.nextUnit() < faults.lossProbability
            var delay = faults.latency
            if faults.jitter > .zero {
                delay += .nanoseconds(Int64(Double(faults.jitter.nanoseconds) * random.nextUnit()))
            }
            return (lost, delay)
        }
        return upstream ? draw(&toUpstream) : draw(&toClient)
    }

    /// Starts the timed faults at `start`: each kind a Poisson process of its rate.
    mutating func start(at start: Instant) {
        upcoming = []
        for (event, rate) in [(Event.drop, faults.dropRate), (.serverClose, faults.serverCloseRate), (.clog, faults.clogRate)] where rate > 0 {
            upcoming.append((start + wait(rate), event))
        }
    }

    /// The next timed fault, taken off the plan: the next clog is drawn from this one's end; a drop
    /// or server close ends the connection, and the plan with it.
    mutating func nextEvent() -> (at: Instant, event: Event)? {
        guard let i = upcoming.indices.min(by: { upcoming[$0].at < upcoming[$1].at }) else { return nil }
        let strike = upcoming[i]
        if strike.event == .clog {
            upcoming[i].at = strike.at + faults.clogDuration + wait(faults.clogRate)
        } else {
            upcoming = []
        }
        return strike
    }

    /// An exponential wait with mean 60 s / `rate`.
    private mutating func wait(_ rate: Double) -> Duration {
        let u = timed.nextUnit()
        let seconds = -log(1 - u) * 60 / rate
        return .nanoseconds(Int64(min(seconds, 1e9) * 1e9))
    }
}
