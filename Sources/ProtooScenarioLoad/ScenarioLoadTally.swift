import Protoo
import ProtooVerdict

/// What one event loop's clients counted; the loops' tallies add up to the report.
struct ScenarioLoadTally: Sendable {
    static let breaksKeptPerInvariant = 3

    var clients = 0
    var clientsFinished = 0
    var clientsGaveUp = 0
    var connections = 0
    var connectionsHeld = 0
    var peakConnections = 0
    var attemptsFailed = 0
    var refusals: [String: Int] = [:]
    var reconnects = 0
    var measurements = Measurements()
    var errorsByMethod: [String: [String: Int]] = [:]
    var notificationsSent: [String: Int] = [:]
    var notificationsReceived: [String: Int] = [:]
    var serverRequestsAnswered: [String: Int] = [:]
    var messagesSent = 0
    var messagesReceived = 0
    var lateResponses = 0
    var faultsInjected: [String: Int] = [:]
    var faultsMissed: [String: Int] = [:]
    var invariantChecks: [String: Int] = [:]
    var breakCounts: [String: Int] = [:]
    var breaks: [InvariantBreak] = []

    mutating func recordBreak(_ broken: InvariantBreak) {
        breakCounts[broken.invariant, default: 0] += 1
        if breaks.count(where: { $0.invariant == broken.invariant }) < Self.breaksKeptPerInvariant { breaks.append(broken) }
    }

    mutating func merge(_ other: ScenarioLoadTally) {
        clients += other.clients
        clientsFinished += other.clientsFinished
        clientsGaveUp += other.clientsGaveUp
        connections += other.connections
        connectionsHeld += other.connectionsHeld
        peakConnections += other.peakConnections
        attemptsFailed += other.attemptsFailed
        refusals.merge(other.refusals, uniquingKeysWith: +)
        reconnects += other.reconnects
        measurements.merge(other.measurements)
        for (method, codes) in other.errorsByMethod { errorsByMethod[method, default: [:]].merge(codes, uniquingKeysWith: +) }
        notificationsSent.merge(other.notificationsSent, uniquingKeysWith: +)
        notificationsReceived.merge(other.notificationsReceived, uniquingKeysWith: +)
        serverRequestsAnswered.merge(other.serverRequestsAnswered, uniquingKeysWith: +)
        messagesSent += other.messagesSent
        messagesReceived += other.messagesReceived
        lateResponses += other.lateResponses
        faultsInjected.merge(other.faultsInjected, uniquingKeysWith: +)
        faultsMissed.merge(other.faultsMissed, uniquingKeysWith: +)
        invariantChecks.merge(other.invariantChecks, uniquingKeysWith: +)
        breakCounts.merge(other.breakCounts, uniquingKeysWith: +)
        breaks = Self.firstBreaks(breaks + other.breaks)
    }

    /// The first ``breaksKeptPerInvariant`` breaks of each invariant, in time order.
    static func firstBreaks(_ breaks: [InvariantBreak]) -> [InvariantBreak] {
        var kept: [String: Int] = [:]
        return breaks.sorted { ($0.atSeconds, $0.invariant, $0.client) < ($1.atSeconds, $1.invariant, $1.client) }.filter { broken in
            kept[broken.invariant, default: 0] += 1
            return kept[broken.invariant, default: 0] <= breaksKeptPerInvariant
        }
    }

    /// The error key of a failed request: the response's code (`"404"`), `timeout` or `closed`.
    static func errorKey(_ error: ProtooError) -> String {
        switch error.errorCode {
        case .requestTimeout: "timeout"
        case .peerClosed: "closed"
        default: String(error.code)
        }
    }
}
