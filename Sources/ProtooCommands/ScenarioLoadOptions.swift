import ArgumentParser
import Protoo

/// `protoo load URL --scenario NAME`'s flags: which clients (as `simulate` makes them).
struct ScenarioLoadOptions: ParsableArguments {
    @Option(help: "Run the clients of this simulator scenario over real WebSockets against URL (\(CommandRegistry.current.scenarioNames.joined(separator: ", "))): each client's script, its faults and its invariants, on the wall clock.")
    var scenario: String?

    @Option(help: "With --scenario: rooms (groups of clients, room-0, room-1, …; default 10).")
    var rooms: Int?

    @Option(name: .customLong("peers-per-room"), help: "With --scenario: clients in each room (default 6).")
    var peersPerRoom: Int?

    @Option(name: .customLong("arrival-window"), help: "With --scenario: clients arrive uniformly at random within this time from the start (default the smaller of 30s and half the duration; 0s: all at once).")
    var arrivalWindow: DurationArgument?

    @Option(name: .customLong("drain-timeout"), help: "With --scenario: after everyone left, how long to wait for the last closes (default 15s).")
    var drainTimeout: DurationArgument?

    @Option(help: "With --scenario and a wss:// URL: PEM trust roots for the server's certificate (default: the system's).")
    var ca: String?

    @Option(name: .customLong("fault-partition-rate"), help: "With --scenario: per room per minute, half the room's connections held for --fault-partition-for (the simulator's partitions).")
    var partitionRate: Double?

    @Option(name: .customLong("fault-partition-for"), help: "With --scenario: how long a partition holds the connections (default 20s).")
    var partitionFor: DurationArgument?

    @Option(name: .customLong("fault-silent"), help: "With --scenario: share of clients (0…1) that never answer the server's requests.")
    var silentShare: Double?

    @Option(name: .customLong("fault-late"), help: "With --scenario: share of clients (0…1) that answer the server's requests right around its 30 s timeout.")
    var lateShare: Double?

    /// Whether any of these flags was given (they need --scenario).
    var anyGiven: Bool {
        rooms != nil || peersPerRoom != nil || arrivalWindow != nil || drainTimeout != nil || partitionRate != nil || partitionFor != nil
            || silentShare != nil || lateShare != nil || ca != nil
    }

    /// The client-side fault knobs over `profile`.
    func apply(to profile: inout FaultProfile) throws {
        if let partitionRate {
            guard partitionRate >= 0, partitionRate.isFinite else { throw ValidationError("--fault-partition-rate must be 0 or more per minute") }
            profile.partitionRate = partitionRate
        }
        if let partitionFor { profile.partitionDuration = partitionFor.duration }
        for (flag, share) in [("--fault-silent", silentShare), ("--fault-late", lateShare)] {
            if let share, !(0...1).contains(share) { throw ValidationError("\(flag) is a share of clients, 0…1 (got \(share))") }
        }
        if let silentShare { profile.silentShare = silentShare }
        if let lateShare { profile.lateShare = lateShare }
        guard profile.silentShare + profile.lateShare <= 1 else { throw ValidationError("--fault-silent and --fault-late add up to more than every client") }
    }
}
