import Protoo

extension SimulatedClient {
    /// The clients a run of `configuration` makes for `scenario` on `host`, in creation order
    /// (group by group): each with its peer id, group, target and answer style drawn from its
    /// own streams (``ClientKey``), so a simulation and `protoo load --scenario` with the same
    /// seed make the same clients.
    package static func population(of configuration: SimulationConfiguration, scenario: SimulationScenario,
                                   host: any ClientHost) -> [SimulatedClient] {
        configuration.clientKeys.map { key in
            let roomId = "room-\(key.room)"
            var ids = RandomStream.peerID.random(configuration.seed, key.room, key.slot)
            let peerId = ids.alphanumericID(length: 8)
            let answers = FaultPlan.answerStyle(of: key, in: configuration)
            let behavior: any ClientBehavior
            switch scenario.client {
            case .behavior(let make): behavior = make(answers)
            case .script(let script):
                behavior = ScriptBehavior(scenario, script: script, answers: answers) { [unowned host] in host.scriptFailed(key, $0) }
            }
            return SimulatedClient(key: key, peerId: peerId, roomId: roomId, target: scenario.target(roomId, peerId),
                                   seed: configuration.seed, host: host, behavior: behavior)
        }
    }
}
