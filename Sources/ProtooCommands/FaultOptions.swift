import ArgumentParser
import Protoo
import ProtooProxy

/// `protoo proxy`'s fault flags: a simulator profile, then explicit knobs over it.
struct FaultOptions: ParsableArguments {
    @Option(name: .customLong("faults"),
            help: "Fault profile, as the simulator's: none, light or heavy (drop, server close and clog rates per connection per minute).")
    var profile = "none"

    @Option(name: .customLong("fault-latency"), help: "Delay every relayed message by this much, each way (e.g. 20ms).")
    var latency: DurationArgument?

    @Option(name: .customLong("fault-jitter"), help: "Up to this much more delay per message, drawn at random (order is kept).")
    var jitter: DurationArgument?

    @Option(name: .customLong("fault-loss"), help: "Chance (0…1) that a relayed message is lost, the connection staying open.")
    var loss: Double?

    @Option(name: .customLong("fault-drop-rate"), help: "Connections dropped without a close frame, per connection per minute.")
    var dropRate: Double?

    @Option(name: .customLong("fault-close-rate"), help: "Server-style closes (4000 to the client, 1001 upstream), per connection per minute.")
    var closeRate: Double?

    @Option(name: .customLong("fault-clog-rate"), help: "Clogs (traffic held, then delivered in order), per connection per minute.")
    var clogRate: Double?

    @Option(name: .customLong("fault-clog-for"), help: "How long a clog holds the traffic (default 5s).")
    var clogFor: DurationArgument?

    @Option(help: "Seed: for proxy, of the fault decisions (the same seed gives every connection, counted in arrival order, the same decisions); for load --scenario, of the clients and their faults (the same as simulate --seed makes; default 1).")
    var seed: UInt64?

    func validate() throws {
        guard ProxyFaults.named(profile) != nil else { throw ValidationError("--faults is none, light or heavy") }
        do {
            _ = try makeFaults()
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// For `load --scenario`: the simulator's profile of that name with the explicit rates over it
    /// (its partitions and silent and late clients kept), and the per-message latency and jitter.
    func makeProfile() throws(ProxyError) -> (profile: FaultProfile, latency: Duration, jitter: Duration) {
        let link = try makeFaults()
        var profile = FaultProfile.named(self.profile) ?? .none
        profile.dropRate = link.dropRate
        profile.serverCloseRate = link.serverCloseRate
        profile.clogRate = link.clogRate
        profile.clogDuration = link.clogDuration
        return (profile, link.latency, link.jitter)
    }

    /// Whether any fault flag was given (`load` takes them with --scenario only).
    var anyGiven: Bool {
        profile != "none" || latency != nil || jitter != nil || loss != nil || dropRate != nil || closeRate != nil
            || clogRate != nil || clogFor != nil || seed != nil
    }

    /// The profile with the explicit knobs applied.
    /// - Throws: ``ProxyError/invalidFaults(_:)`` naming the knob out of range.
    func makeFaults() throws(ProxyError) -> ProxyFaults {
        var f = ProxyFaults.named(profile) ?? .none
        if let latency { f.latency = latency.duration }
        if let jitter { f.jitter = jitter.duration }
        if let loss { f.lossProbability = loss }
        if let dropRate { f.dropRate = dropRate }
        if let closeRate { f.serverCloseRate = closeRate }
        if let clogRate { f.clogRate = clogRate }
        if let clogFor { f.clogDuration = clogFor.duration }
        try f.validate()
        return f
    }
}
