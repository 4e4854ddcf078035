import Protoo

/// Everything that defines a run. Same configuration (seed included) ⇒ same events, byte for byte.
public struct SimulationConfiguration: Sendable {
    /// A scenario's name (``SimulationScenario/name``): the built-in `.conference` and `.echo`,
    /// or any scenario of your own.
    public struct ScenarioName: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { rawValue = value }
        public var description: String { rawValue }
        /// Video-conference rooms (`../shared/traffic-model.md`) against ``ConferenceApp``.
        public static let conference: ScenarioName = "conference"
        /// Clients sending `echo` requests against ``EchoApp``.
        public static let echo: ScenarioName = "echo"
    }

    /// The earlier name of ``ScenarioName`` (a name, where ``SimulationScenario`` is a definition).
    @available(*, deprecated, renamed: "ScenarioName")
    public typealias Scenario = ScenarioName

    /// The name of the scenario to run (``SimulationScenario/name``); ``Simulation`` built from
    /// the configuration alone runs the built-in of this name.
    public var scenario: ScenarioName = .conference
    public var rooms = 10
    public var peersPerRoom = 6
    /// How many independent server shards the rooms are spread over (see ``ShardedSimulation``).
    /// 1, the default, is one server holding every room.
    public var shards = 1
    /// The number of the first room (rooms are named `room-N`): a shard's rooms follow the
    /// previous shard's.
    public var firstRoom = 0
    /// Virtual time from the first arrival until everyone leaves.
    public var duration: Duration = .seconds(600)
    public var seed: UInt64 = 1
    public var faults: FaultProfile = .none
    public var latency: LatencyModel = .broadband
    /// Peers arrive uniformly at random within this window from the start.
    public var arrivalWindow: Duration = .seconds(30)
    /// After everyone left: how long to keep running so closes and timeouts settle.
    public var drainTime: Duration = .seconds(90)
    /// Run same-instant events in a seeded random order instead of insertion order.
    public var shuffleSameInstant = false
    public var retry = SimulatedClient.RetryPolicy()
    /// How often invariants are checked during the run.
    public var invariantInterval: Duration = .seconds(1)
    /// How many of the last events a failure report shows.
    public var history = 24

    /// Faults at exact virtual instants (for named race cases), on top of the random profile.
    public var script: [ScriptedFault] = []

    public init() {}

    public var totalPeers: Int { rooms * peersPerRoom }

    /// The `protoo simulate` command for this run's scenario, size, duration, seed and shards (the
    /// reproduce line of a failure when the caller gave none).
    public var commandLine: String {
        "swift run protoo simulate --scenario \(scenario.rawValue) --rooms \(rooms) --peers-per-room \(peersPerRoom) --duration \(Int(duration.nanoseconds / 1_000_000_000))s --seed \(seed)\(shards > 1 ? " --shards \(shards)" : "")"
    }
}

/// A fault at an exact virtual instant, applied to client number `client` (arrival order of creation).
public struct ScriptedFault: Sendable, Hashable {
    public enum Action: Sendable, Hashable {
        /// Drop the client's connection without a close frame.
        case drop
        /// The server closes the client's connection with 4000.
        case serverClose
        /// Hold the client's link traffic for a while.
        case clog(Duration)
        /// The client leaves.
        case leave
        /// The server app shuts down: every room closes (code 4000 to every peer).
        case shutdownApp
    }

    public var at: Duration
    public var client: Int
    public var action: Action

    public init(at: Duration, client: Int = 0, _ action: Action) {
        self.at = at
        self.client = client
        self.action = action
    }
}
