import Logging
import Protoo
import ProtooSimulator

extension Simulation {
    /// Builds a run of the built-in scenario `configuration.scenario` names (`conference` or
    /// `echo`) on one server. `app` replaces the scenario's app (a variant of it, say).
    public convenience init(_ configuration: SimulationConfiguration, tap: (any TrafficTap)? = nil, logger: Logger? = nil,
                            app makeApp: (@Sendable (EngineContext) -> any ProtooApp)? = nil) {
        guard var scenario = SimulationScenario.named(configuration.scenario.rawValue) else {
            preconditionFailure("no built-in scenario '\(configuration.scenario)': pass your scenario with Simulation(_:scenario:)")
        }
        if let makeApp { scenario.app = makeApp }
        self.init(configuration, scenario: scenario, tap: tap, logger: logger)
    }
}

extension ShardedSimulation {
    /// Builds a run of `configuration` split into `configuration.shards` shards
    /// (1 ... `rooms`), `jobs` of them running at a time. `app` replaces the scenario's app in
    /// every shard (see ``Simulation/init(_:tap:logger:app:)``).
    public convenience init(_ configuration: SimulationConfiguration, jobs: Int = 1, window: Duration = ShardedSimulation.defaultWindow,
                            app makeApp: (@Sendable (EngineContext) -> any ProtooApp)? = nil) {
        guard var scenario = SimulationScenario.named(configuration.scenario.rawValue) else {
            preconditionFailure("no built-in scenario '\(configuration.scenario)': pass your scenario with ShardedSimulation(_:scenario:)")
        }
        if let makeApp { scenario.app = makeApp }
        self.init(configuration, scenario: scenario, jobs: jobs, window: window)
    }
}

extension SimulationScenario {
    /// The scenario of this name among `scenarios` and the built-in ones.
    public static func named(_ name: String, in scenarios: [SimulationScenario] = []) -> SimulationScenario? {
        (scenarios + builtIn).first { $0.name == name }
    }

    /// The built-in scenarios: `conference` and `echo`.
    public static var builtIn: [SimulationScenario] { [.conference, .echo] }
}

extension Swarm {
    /// ``run(seeds:jobs:scenario:configure:progress:)`` of the built-in scenario the
    /// configurations name (`conference` or `echo`).
    public static func run(seeds: ClosedRange<UInt64>, jobs: Int,
                           configure: @escaping @Sendable (UInt64) -> (SimulationConfiguration, reproduce: String?),
                           progress: (@Sendable (Int) -> Void)? = nil) -> [Outcome] {
        let name = configure(seeds.lowerBound).0.scenario.rawValue
        guard let scenario = SimulationScenario.named(name) else {
            preconditionFailure("no built-in scenario '\(name)': pass your scenario with Swarm.run(seeds:jobs:scenario:configure:progress:)")
        }
        return run(seeds: seeds, jobs: jobs, scenario: scenario, configure: configure, progress: progress)
    }
}

extension Simulation {
    /// The run a repro file describes, of the built-in scenario it names (`conference` or `echo`).
    public convenience init(repro: SimulationRepro, tap: (any TrafficTap)? = nil) {
        guard let scenario = SimulationScenario.named(repro.configuration.scenario.rawValue) else {
            preconditionFailure("no built-in scenario '\(repro.configuration.scenario)': pass your scenario with Simulation(repro:scenario:)")
        }
        self.init(repro: repro, scenario: scenario, tap: tap)
    }
}
