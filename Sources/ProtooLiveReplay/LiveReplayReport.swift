import Protoo
import ProtooReplay

/// The outcome of a live replay: the in-process replay's report (counts, divergences, exit
/// status) and what went over the sockets.
public struct LiveReplayReport: Sendable, CustomStringConvertible {
    /// Divergences and counts, as in-process replay reports them (`virtualDuration` is the
    /// recording's length; `engineSeed` is 0: the server is not ours to seed).
    public var replay: ReplayReport
    public var target: String
    /// Recorded connections, and how many the server accepted.
    public var connections: Int
    public var connectionsOpened: Int
    public var messagesSent: Int
    public var messagesReceived: Int
    /// Recorded client messages not sent: their connection was not open, or the server request
    /// they answer never came.
    public var notSent: Int

    public var passed: Bool { replay.passed }

    init(session: LiveSession, target: String, plan: LivePlan, metadataDamage: [String]) {
        replay = ReplayReport(
            events: plan.records, inputs: session.inputs, outputsCompared: session.outputsCompared,
            divergences: session.divergences, virtualDuration: .nanoseconds(plan.lastTime - plan.firstTime),
            wallSeconds: session.wallSeconds, engineSeed: 0, substitutionsLearned: session.substitutionsLearned,
            replayerServerCloses: 0, skippedRecords: plan.skippedRecords, stoppedEarly: session.stoppedEarly,
            truncation: plan.cutOff.map { ReplayTruncation(reason: $0, comparedUpTo: .nanoseconds(plan.lastTime), uncomparedOutputs: 0) },
            metadataDamage: metadataDamage)
        self.target = target
        connections = plan.connections.count
        connectionsOpened = session.connectionsOpened
        messagesSent = session.messagesSent
        messagesReceived = session.messagesReceived
        notSent = session.notSent
    }

    public var description: String {
        var lines = replay.description.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[0] = "live replay against \(target): \(passed ? "PASSED" : "FAILED")"
        let sockets = [
            "connections:      \(connections) (\(connectionsOpened) opened)",
            "messages:         \(messagesSent) sent, \(messagesReceived) received\(notSent > 0 ? ", \(notSent) not sent (connection closed or request never came)" : "")",
        ]
        lines.insert(contentsOf: sockets, at: 1)
        return lines.joined(separator: "\n")
    }

    public var json: JSONValue {
        guard case .object(var o) = replay.json else { return replay.json }
        o["target"] = .string(target)
        o["connections"] = JSONValue(connections)
        o["connectionsOpened"] = JSONValue(connectionsOpened)
        o["messagesSent"] = JSONValue(messagesSent)
        o["messagesReceived"] = JSONValue(messagesReceived)
        o["notSent"] = JSONValue(notSent)
        return .object(o)
    }
}
