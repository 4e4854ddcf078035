import Protoo

/// Faults a proxy injects into the traffic it relays, in the simulator's vocabulary
/// (``FaultProfile``): latency, connections dropped without a close frame, server-style closes
/// with 4000, clogs; plus message loss, which a real network never does to WebSocket (TCP) traffic
/// but which tests a client's and a server's request timeouts.
///
/// Rates are per connection per minute, like the simulator's; each connection draws its own
/// decisions from its own seeded streams (see ``ProxyConfiguration/seed``). Faults act in both
/// directions; order is never changed.
public struct ProxyFaults: Sendable, Hashable {
    /// Added to every relayed message (and the close that follows them), each direction.
    public var latency: Duration = .zero
    /// Up to this much more per message, drawn uniformly (order is kept: a message never overtakes).
    public var jitter: Duration = .zero
    /// Chance that one relayed message is lost, 0…1: not delivered, the connection stays open.
    public var lossProbability = 0.0
    /// Connections dropped without a close frame (both sides see TCP go), per connection per minute.
    public var dropRate = 0.0
    /// Server-style closes, per connection per minute: the client gets 4000 "closed by
    /// protoo-server" (a protoo-client does not reconnect), the upstream a 1001 close.
    public var serverCloseRate = 0.0
    /// Clogs per connection per minute: both directions held for ``clogDuration``, then delivered in order.
    public var clogRate = 0.0
    public var clogDuration: Duration = .seconds(5)

    public init() {}

    /// No faults: messages are relayed as they arrive.
    public static let none = ProxyFaults()

    /// The link faults of a simulator profile: drop, server close and clog rates and the clog
    /// duration. Its partitions (a room's), silent and late clients (client behavior) have no
    /// counterpart on one relayed connection.
    public init(_ profile: FaultProfile) {
        dropRate = profile.dropRate
        serverCloseRate = profile.serverCloseRate
        clogRate = profile.clogRate
        clogDuration = profile.clogDuration
    }

    /// `none`, `light` or `heavy`: the simulator's profiles of that name (``init(_:)``).
    public static func named(_ name: String) -> ProxyFaults? {
        FaultProfile.named(name).map(ProxyFaults.init)
    }

    /// Whether anything is injected at all.
    public var isNone: Bool { self == .none }

    /// Whether messages may be held back (latency, jitter or clogs): the relay then queues them.
    var delaysMessages: Bool { latency > .zero || jitter > .zero || clogRate > 0 }

    /// Checks the knobs.
    /// - Throws: ``ProxyError/invalidFaults(_:)`` naming the knob to fix.
    public func validate() throws(ProxyError) {
        guard latency >= .zero, jitter >= .zero else { throw .invalidFaults("latency and jitter must not be negative") }
        guard (0...1).contains(lossProbability) else { throw .invalidFaults("loss probability must be 0…1 (got \(lossProbability))") }
        for (name, rate) in [("drop", dropRate), ("server close", serverCloseRate), ("clog", clogRate)] {
            guard rate >= 0, rate.isFinite else { throw .invalidFaults("\(name) rate must be 0 or more per minute (got \(rate))") }
        }
        guard clogRate == 0 || clogDuration > .zero else { throw .invalidFaults("clog duration must be positive") }
    }

    /// A short text form for logs and banners.
    public var summary: String {
        guard !isNone else { return "none" }
        func f(_ x: Double) -> String { String(Double(Int(x * 1000)) / 1000) }
        return "latency=\(latency)+\(jitter) loss=\(f(lossProbability)) drop=\(f(dropRate))/min serverClose=\(f(serverCloseRate))/min clog=\(f(clogRate))/min×\(clogDuration)"
    }
}
