import Protoo

/// Everything that defines a run. Same configuration (seed included) ⇒ same events, byte for byte.
public struct SimulationConfiguration: Sendable {
    /// A scenario's name (``SimulationScenario/name``): the built-in `.conference` and `.echo`,
    /// or any scenario of your own.
    public struct ScenarioName: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
        /// The name, as `--scenario` takes it.
        public var rawValue: String
        /// The scenario named `rawValue`.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// A name written as a literal: `configuration.scenario = "chat"`.
        public init(stringLiteral value: String) { rawValue = value }
        /// The name.
        public var description: String { rawValue }
        /// Video-conference rooms in the style of mediasoup-demo against `ConferenceApp` (`docs/simulator.md`).
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
    /// How many groups of clients the run makes (default 10), named `room-N` from ``firstRoom``.
    /// A client asks for its group's room unless ``SimulationScenario/target`` maps it elsewhere
    /// (several groups to one room make a bigger room).
    public var rooms = 10
    /// How many clients each group has (default 6), unless ``roomSizes`` gives each its own.
    public var peersPerRoom = 6
    /// How many clients each group has, group by group: every group ``peersPerRoom`` by default.
    /// Set it for rooms of different sizes; it sets ``rooms`` to its count:
    ///
    /// ```swift
    /// configuration.roomSizes = [9, 6, 3]      // room-0 has 9 clients, room-1 6, room-2 3
    /// ```
    public var roomSizes: [Int] {
        get {
            if let customSizes, customSizes.count == rooms { return customSizes }
            return Array(repeating: peersPerRoom, count: rooms)
        }
        set {
            customSizes = newValue
            rooms = newValue.count
        }
    }
    /// The sizes ``roomSizes`` was given (`nil`: every group has ``peersPerRoom``).
    private var customSizes: [Int]?
    /// Whether the groups have sizes of their own (``roomSizes`` was set and still fits ``rooms``).
    var hasCustomSizes: Bool { customSizes?.count == rooms }
    /// How many independent server shards the rooms are spread over (see ``ShardedSimulation``).
    /// 1, the default, is one server holding every room.
    public var shards = 1
    /// How many servers run the app behind a simulated balancer that pins every room to one
    /// server (it hashes the `roomId` of the connection URL, consistently, and sticks a room to
    /// where it went while that server lives), as HAProxy with `deploy/haproxy/haproxy.cfg` does.
    /// Default 1. With more, ``FaultProfile/serverCrashRate`` kills servers, and the invariant
    /// `room-split` checks no room has peers on two servers. Not with ``shards``.
    public var servers = 1
    /// The number of the first room (rooms are named `room-N`): a shard's rooms follow the
    /// previous shard's.
    public var firstRoom = 0
    /// Virtual time from the start until everyone leaves (default 600 s): each client then
    /// closes (1000) and does not reconnect. Random faults are scheduled up to it.
    public var duration: Duration = .seconds(600)
    /// Every random draw of the run comes from it (default 1): peer ids, arrivals, latencies,
    /// faults, the app's `context.random` and each client's ``SimulatedClient/random``. A
    /// client's draws come from streams keyed by the seed and its ``ClientKey``, a room's by the
    /// seed and its number: removing a client, room or fault shifts no other's.
    public var seed: UInt64 = 1
    /// Random faults, at rates per client per virtual minute (default `.none`; also `.light`,
    /// `.heavy`, or any knobs of `FaultProfile`).
    public var faults: FaultProfile = .none
    /// One-way delay of every message and connection attempt (default ``LatencyModel/broadband``).
    public var latency: LatencyModel = .broadband
    /// Peers arrive uniformly at random within this window from the start (default 30 s; zero:
    /// all at once).
    public var arrivalWindow: Duration = .seconds(30)
    /// After everyone left: how long to keep running so closes and timeouts settle (default 90 s;
    /// the server's request timeout is about 30 s). The final invariants are checked after it.
    public var drainTime: Duration = .seconds(90)
    /// Run same-instant events in a seeded random order instead of insertion order.
    public var shuffleSameInstant = false
    /// How clients reconnect after a drop (default: 10 retries, 1 s doubling to 8 s, as
    /// protoo-client).
    public var retry = SimulatedClient.RetryPolicy()
    /// How often (virtual time) invariants are checked during the run (default 1 s).
    public var invariantInterval: Duration = .seconds(1)
    /// How many of the last events a failure report shows (default 24).
    public var history = 24

    /// Faults at exact virtual instants (for named race cases), on top of the random profile:
    /// `[ScriptedFault(at: .seconds(60), client: 0, .drop)]`.
    public var script: [ScriptedFault] = []

    /// Which clients the run makes (default `nil`: every client of every group). A minimised
    /// run keeps a few; the others' draws are unaffected (each client's are its own, see
    /// ``ClientKey``).
    public var population: [ClientKey]?
    /// The exact faults to run (default `nil`: ``faults``' random ones, drawn per client and per
    /// room, plus ``script``). Set, it replaces both; ``faults`` still gives each client its
    /// answer style (``FaultProfile/silentShare``, ``FaultProfile/lateShare``).
    public var faultSchedule: [PlannedFault]?
    /// Clients that stop talking after this many messages (requests and notifications sent
    /// through ``ScenarioClient`` or ``SimulatedClient``): later ones are not sent, and a script's
    /// next request throws `CancellationError`, which ends it quietly. The client stays
    /// connected (it answers the server) until it leaves.
    public var stepLimits: [ClientKey: Int] = [:]

    /// The defaults: the conference, 10 rooms × 6 peers, 600 s + 90 s drain, seed 1, broadband
    /// latency, no faults.
    public init() {}

    /// How many clients the run makes: ``rooms`` × ``peersPerRoom``, or the sum of ``roomSizes``
    /// (or the size of ``population``).
    public var totalPeers: Int {
        if let population { return population.count }
        return hasCustomSizes ? roomSizes.reduce(0, +) : rooms * peersPerRoom
    }

    /// Every client of every group, in creation order (group by group).
    var allClientKeys: [ClientKey] {
        roomSizes.enumerated().flatMap { group, size in (0..<size).map { ClientKey(room: firstRoom + group, slot: $0) } }
    }

    /// The clients the run makes, in creation order: ``population`` (those that exist in the
    /// groups), or every client.
    public var clientKeys: [ClientKey] {
        guard let population else { return allClientKeys }
        let sizes = roomSizes
        return Set(population).filter { key in
            let group = key.room - firstRoom
            return group >= 0 && group < sizes.count && key.slot < sizes[group]
        }.sorted()
    }

    /// How many groups have at least one client.
    public var populatedRooms: Int { Set(clientKeys.map(\.room)).count }

    /// The key of client number `index` in creation order of the whole layout (``script``'s numbering).
    func clientKey(ofIndex index: Int) -> ClientKey? {
        var remaining = index
        for (group, size) in roomSizes.enumerated() {
            if remaining < size { return ClientKey(room: firstRoom + group, slot: remaining) }
            remaining -= size
        }
        return nil
    }

    /// The index in ``Simulation/clients`` of group `room`'s first client (`room` may be
    /// ``rooms``: the end).
    func firstClient(ofRoom room: Int) -> Int {
        hasCustomSizes ? roomSizes.prefix(room).reduce(0, +) : room * peersPerRoom
    }

    /// The `protoo simulate` command for this run's scenario, size, duration, seed and shards (the
    /// reproduce line of a failure when the caller gave none).
    public var commandLine: String {
        let size = hasCustomSizes ? "--room-sizes \(roomSizes.map(String.init).joined(separator: ","))" : "--rooms \(rooms) --peers-per-room \(peersPerRoom)"
        return "swift run protoo simulate --scenario \(scenario.rawValue) \(size) --duration \(Int(duration.nanoseconds / 1_000_000_000))s --seed \(seed)\(shards > 1 ? " --shards \(shards)" : "")\(servers > 1 ? " --servers \(servers)" : "")"
    }
}

/// A fault at an exact virtual instant, applied to client number `client` (order of creation:
/// group by group, the index in ``Simulation/clients``).
///
/// ```swift
/// configuration.script = [ScriptedFault(at: .seconds(60), client: 0, .drop)]
/// ```
public struct ScriptedFault: Sendable, Hashable {
    /// What happens.
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

    /// When, from the start of the run.
    public var at: Duration
    /// Which client (its index in ``Simulation/clients``).
    public var client: Int
    /// What happens.
    public var action: Action

    /// `action` on client number `client` at `at`.
    public init(at: Duration, client: Int = 0, _ action: Action) {
        self.at = at
        self.client = client
        self.action = action
    }
}
