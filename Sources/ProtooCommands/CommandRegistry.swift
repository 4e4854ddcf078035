import Protoo
import ProtooApps
import ProtooScenarios
import ProtooSimulator
import Synchronization

/// The apps and scenarios the commands offer (`--app`, `--scenario`), and the words that run the
/// tool (for reproduce lines). Set once by ``ProtooCommand/main(apps:scenarios:commandName:)``
/// before the arguments are parsed; the built-in apps and scenarios are always there too.
struct CommandRegistry: Sendable {
    /// Apps by name, the tool's own first, then the built-in ones.
    var apps: [(name: String, factory: ProtooAppFactory)]
    /// Scenarios, the tool's own first, then the built-in ones.
    var scenarios: [SimulationScenario]
    /// What a reproduce line starts with (`swift run protoo`, `mychat`).
    var commandName: String
    /// The names the tool itself registered (their first is each command's default).
    var ownApps: [String] = []
    var ownScenarios: [String] = []

    static let builtIn = CommandRegistry(
        apps: BuiltInApps.names.compactMap { name in BuiltInApps.factory(named: name).map { (name, $0) } },
        scenarios: SimulationScenario.builtIn, commandName: "swift run protoo")

    private static let shared = Mutex<CommandRegistry>(builtIn)

    static var current: CommandRegistry { shared.withLock { $0 } }

    static func set(apps: [String: ProtooAppFactory], scenarios: [SimulationScenario], commandName: String) {
        var registry = builtIn
        registry.apps = apps.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } + builtIn.apps.filter { apps[$0.name] == nil }
        let ownNames = Set(scenarios.map(\.name))
        registry.scenarios = scenarios + builtIn.scenarios.filter { !ownNames.contains($0.name) }
        registry.commandName = commandName
        registry.ownApps = apps.keys.sorted()
        registry.ownScenarios = scenarios.map(\.name)
        shared.withLock { $0 = registry }
    }

    /// The tool's own name (`protoo`, `mychat`), as trace headers name their producer.
    var toolName: String { commandName.split(separator: " ").last.map(String.init) ?? commandName }

    func app(named name: String) -> ProtooAppFactory? { apps.first { $0.name == name }?.factory }
    func scenario(named name: String) -> SimulationScenario? { scenarios.first { $0.name == name } }
    var appNames: [String] { apps.map(\.name) }
    var scenarioNames: [String] { scenarios.map(\.name) }
    /// `--app`'s default where it has one: the tool's first app, else `conference`.
    var defaultApp: String { ownApps.first ?? "conference" }
    /// `--scenario`'s default: the tool's first scenario, else `conference`.
    var defaultScenario: String { ownScenarios.first ?? "conference" }
}
