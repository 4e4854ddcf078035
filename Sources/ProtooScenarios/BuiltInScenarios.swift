import Protoo
import ProtooApps
import ProtooSimulator

extension SimulationScenario {
    /// Video-conference rooms in the style of mediasoup-demo against ``ConferenceApp``: the
    /// 10-request join, answers to `newConsumer`, speaking, mute and camera toggles, stats polling,
    /// leave. Its clients are callback-style ``ClientBehavior``s (no task per client: the fastest
    /// form at 10,000 peers); every room must be gone once everyone left.
    public static let conference: SimulationScenario = {
        var scenario = SimulationScenario(name: "conference", app: { ConferenceApp(context: $0) }) { answers in
            ConferenceBehavior(answers: answers)
        }
        scenario.roomsCloseWhenEmpty = true
        return scenario
    }()

    /// Every client sends an `echo` request about once a second (plus up to 20 % jitter) against
    /// ``EchoApp``, written as an async script.
    public static let echo = SimulationScenario(name: "echo", app: { EchoApp(context: $0) }) { client in
        var sequence: Int64 = 0
        while true {
            sequence += 1
            _ = try await client.request("echo", ["seq": .int(sequence), "text": .string("hello from \(client.peerId)")])
            try await client.sleep(for: .seconds(1) + .nanoseconds(Int64(client.random.next(upperBound: UInt64(200_000_001)))))
        }
    }
}
