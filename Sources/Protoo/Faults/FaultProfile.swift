
/// Which faults a run injects, and how often. Rates are per client per virtual minute.
public struct FaultProfile: Sendable, Hashable {
    /// Connection dropped without a close frame (client reconnects and re-joins).
    public var dropRate = 0.0
    /// Server closes the connection with 4000 (client does not reconnect).
    public var serverCloseRate = 0.0
    /// The client's link is clogged (traffic held) for `clogDuration`.
    public var clogRate = 0.0
    /// How long a clog holds the link's traffic (default 5 s).
    public var clogDuration: Duration = .seconds(5)
    /// Per room per minute: half of the room is partitioned (links held) for `partitionDuration`.
    public var partitionRate = 0.0
    /// How long a partition holds the links (default 20 s).
    public var partitionDuration: Duration = .seconds(20)
    /// Share of clients that never answer server requests.
    public var silentShare = 0.0
    /// Share of clients that answer right around the server's timeout (±1 ms).
    public var lateShare = 0.0
    /// Per server per minute, with several servers behind a balancer (`simulate --servers K`): a
    /// server process dies; its clients reconnect and the balancer re-homes their rooms. The last
    /// server standing never dies.
    public var serverCrashRate = 0.0

    /// No faults; set the knobs you want.
    public init() {}

    /// No faults.
    public static let none = FaultProfile()

    /// Occasional drops and clogs: what a healthy production network looks like.
    public static let light: FaultProfile = {
        var f = FaultProfile()
        f.dropRate = 0.02
        f.clogRate = 0.02
        f.lateShare = 0.01
        return f
    }()

    /// Frequent faults of every kind.
    public static let heavy: FaultProfile = {
        var f = FaultProfile()
        f.dropRate = 0.2
        f.serverCloseRate = 0.02
        f.clogRate = 0.2
        f.partitionRate = 0.05
        f.silentShare = 0.05
        f.lateShare = 0.05
        return f
    }()

    /// A profile drawn from a seed (swarm mode): each fault switched on or off and scaled at random.
    public static func randomized(_ random: inout SeededRandom) -> FaultProfile {
        var f = FaultProfile()
        func maybe(_ max: Double) -> Double { random.nextUnit() < 0.5 ? random.nextUnit() * max : 0 }
        f.dropRate = maybe(0.5)
        f.serverCloseRate = maybe(0.05)
        f.clogRate = maybe(0.5)
        f.clogDuration = .milliseconds(Int64(500 + random.next(upperBound: UInt64(20_000))))
        f.partitionRate = maybe(0.1)
        f.partitionDuration = .milliseconds(Int64(1_000 + random.next(upperBound: UInt64(40_000))))
        f.silentShare = maybe(0.2)
        f.lateShare = maybe(0.2)
        return f
    }

    /// A profile by name: `none`, `light`, `heavy`.
    public static func named(_ name: String) -> FaultProfile? {
        switch name {
        case "none": return FaultProfile.none
        case "light": return .light
        case "heavy": return .heavy
        default: return nil
        }
    }

    /// A short text form for reports.
    public var summary: String {
        func f(_ x: Double) -> String { String(Double(Int(x * 1000)) / 1000) }
        let crash = serverCrashRate > 0 ? " serverCrash=\(f(serverCrashRate))/min" : ""
        return "drop=\(f(dropRate))/min serverClose=\(f(serverCloseRate))/min clog=\(f(clogRate))/min partition=\(f(partitionRate))/min silent=\(f(silentShare)) late=\(f(lateShare))\(crash)"
    }
}
