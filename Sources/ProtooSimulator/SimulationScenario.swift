import Protoo

/// What a simulation runs: your app, the URL each simulated client connects to, what each client
/// does once connected, and the app's own invariants.
///
/// ```swift
/// var chat = SimulationScenario(name: "chat", app: { ChatApp(context: $0) }) { client in
///     _ = try await client.request("join", [:])            // runs on every open; a close cancels it
///     try await client.sleep(for: .seconds(1))
///     client.notify("chat", ["text": "hello"])
/// }
/// chat.invariant("rooms are never empty") { (app: ChatApp) in app.rooms.values.contains { $0.peers.isEmpty } ? "empty room" : nil }
/// let report = try Simulation(configuration, scenario: chat).run()
/// ```
/// A scenario is a value (`Sendable`): swarms run it on several threads, each run with its own app.
public struct SimulationScenario: Sendable {
    /// What a client does each time its connection opens (first connect and each reconnect, like
    /// a protoo-client app's `open` handler). It runs on the simulation's own executor, so it is
    /// deterministic; the connection's close cancels it. Thrown ``ProtooError``s and
    /// `CancellationError` end it quietly (the run counts failed requests); any other error stops
    /// the run.
    public typealias Script = @Sendable (ScenarioClient) async throws -> Void
    /// Answers a request the server sent to a client (a script client; the `ScenarioClient` is
    /// the one its script got for this connection).
    public typealias ServerRequestHandler = @Sendable (ScenarioClient, IncomingRequest) async throws -> Reply
    /// Sees a notification the server sent to a client (a script client; the `ScenarioClient`
    /// is the one its script got for this connection).
    public typealias ServerNotificationHandler = @Sendable (ScenarioClient, _ method: String, _ data: JSONValue) -> Void
    /// Makes the callback-style client logic of one client (the built-in conference's form: no
    /// task per client, the fastest at tens of thousands of peers).
    public typealias BehaviorFactory = @Sendable (_ answers: AnswerStyle) -> any ClientBehavior

    /// The scenario's name (`--scenario NAME`).
    public var name: String
    /// Builds the app under test on the server's engine context.
    public var app: @Sendable (EngineContext) -> any ProtooApp
    /// The path and query a client connects to, from its group (`room-N`) and peer id (default
    /// `/?roomId=R&peerId=P`). Mapping several groups to one room makes rooms larger than
    /// ``SimulationConfiguration/peersPerRoom``:
    ///
    /// ```swift
    /// scenario.target = { group, peerId in       // groups 0–2 in one room, the others alone
    ///     let n = Int(group.dropFirst("room-".count)) ?? 0
    ///     return "/?roomId=\(n < 3 ? "large" : group)&peerId=\(peerId)"
    /// }
    /// ```
    public var target: @Sendable (_ roomId: String, _ peerId: String) -> String = { "/?roomId=\($0)&peerId=\($1)" }
    /// Whether the app closes a room once its last peer left: then no room may be left open at
    /// the end of the run (an invariant). Needs an app that is ``SimulationInspectable``.
    public var roomsCloseWhenEmpty = false
    /// Answers the server's requests to clients (default: accept with `{}`); a thrown error
    /// rejects the request. Runs after the client's think time (2–31 ms); fault profiles make
    /// some clients answer late or never. Not used by ``ClientBehavior`` clients.
    public var onServerRequest: ServerRequestHandler = { _, _ in .accept() }
    /// Sees the server's notifications (default: none; every frame is still validated). Not
    /// used by ``ClientBehavior`` clients. To wait for one in the script, record it here (in
    /// `client.peer.data`) and poll it there with ``ScenarioClient/sleep(for:)``.
    public var onServerNotification: ServerNotificationHandler?

    let client: ClientLogic
    private(set) var invariants: [Invariant] = []
    package private(set) var clientInvariants: [ClientInvariant] = []

    enum ClientLogic: Sendable {
        case script(Script)
        case behavior(BehaviorFactory)
    }

    struct Invariant: Sendable {
        var name: String
        var check: @Sendable (any ProtooApp) -> String?
    }

    /// An invariant every client checks of itself (``clientInvariant(_:_:)``).
    package struct ClientInvariant: Sendable {
        package var name: String
        package var check: @Sendable (SimulatedClient) -> String?
    }

    /// A scenario whose clients run `script` on every open.
    public init(name: String, app: @escaping @Sendable (EngineContext) -> any ProtooApp, script: @escaping Script) {
        self.name = name
        self.app = app
        self.client = .script(script)
    }

    /// A scenario whose clients are driven by a callback-style ``ClientBehavior`` (one per
    /// client, made by `behavior`).
    public init(name: String, app: @escaping @Sendable (EngineContext) -> any ProtooApp, behavior: @escaping BehaviorFactory) {
        self.name = name
        self.app = app
        self.client = .behavior(behavior)
    }

    /// The earlier spelling of ``init(name:app:behavior:)``.
    @available(*, deprecated, renamed: "init(name:app:behavior:)")
    @_disfavoredOverload
    public init(name: String, app: @escaping @Sendable (EngineContext) -> any ProtooApp, behaviour: @escaping BehaviorFactory) {
        self.init(name: name, app: app, behavior: behaviour)
    }

    /// The earlier spelling of ``BehaviorFactory``.
    @available(*, deprecated, renamed: "BehaviorFactory")
    public typealias BehaviourFactory = BehaviorFactory

    /// Adds an invariant of the app, checked every ``SimulationConfiguration/invariantInterval``
    /// of virtual time and at the end, beside the built-in ones: return `nil` when it holds, or
    /// what is wrong. A broken invariant stops the run with the seed, the virtual time, the last
    /// events and the command that reproduces it.
    public mutating func invariant<App: ProtooApp & SendableMetatype>(_ name: String, _ check: @escaping @Sendable (App) -> String?) {
        invariants.append(Invariant(name: name) { app in
            guard let app = app as? App else { return "the app is a \(type(of: app)), not a \(App.self)" }
            return check(app)
        })
    }

    /// Adds an invariant each client checks of itself, from what it saw (its ``SimulatedClient``:
    /// ``SimulatedClient/memory``, its open ``SimulatedClient/peer`` and `peer.data`): return `nil`
    /// when it holds, or what is wrong. Checked for every client every
    /// ``SimulationConfiguration/invariantInterval`` and at the end, in a simulation and under
    /// `protoo load --scenario` against a real server (where the app's own invariants cannot be
    /// seen). A scenario whose script records the peers it was told about can check, say, that
    /// no notification named a peer that had left:
    ///
    /// ```swift
    /// scenario.clientInvariant("no news of departed peers") { client in
    ///     (client.memory["stale"] as? String).map { "notified about \($0) after it left" }
    /// }
    /// ```
    public mutating func clientInvariant(_ name: String, _ check: @escaping @Sendable (SimulatedClient) -> String?) {
        clientInvariants.append(ClientInvariant(name: name, check: check))
    }

}
