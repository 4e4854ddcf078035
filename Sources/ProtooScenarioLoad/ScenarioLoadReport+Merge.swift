import Protoo
import ProtooVerdict

extension ScenarioLoadReport {
    /// Why partitions' reports do not make one run.
    public struct MergeError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The report of a load split by `--partition I/N` over several processes (each its own
    /// rooms, the same seed): counts added, latency percentiles from the merged histograms
    /// (each part's ``measurements``), every invariant's checks and breaks added, the first breaks
    /// kept in time order. CPU adds up; peak memory is the largest process's.
    /// - Throws: ``MergeError`` when the parts are loads of different scenarios, servers, seeds or durations.
    public static func merged(_ parts: [ScenarioLoadReport]) throws(MergeError) -> ScenarioLoadReport {
        guard var whole = parts.first else { throw MergeError(description: "no reports to merge") }
        for part in parts.dropFirst() {
            guard part.scenario == whole.scenario, part.url == whole.url, part.seed == whole.seed, part.faults == whole.faults,
                  part.durationSeconds == whole.durationSeconds else {
                throw MergeError(description: "a part is another load (scenario \(part.scenario), \(part.url), seed \(part.seed), "
                                 + "\(part.durationSeconds) s, faults \(part.faults)) than the first (\(whole.scenario), \(whole.url), seed \(whole.seed))")
            }
            whole.rooms += part.rooms
            whole.peers += part.peers
            whole.threads += part.threads
            whole.wallSeconds = max(whole.wallSeconds, part.wallSeconds)
            whole.connections += part.connections
            whole.connectionsHeld += part.connectionsHeld
            whole.peakConnections += part.peakConnections
            whole.connectionsRejected += part.connectionsRejected
            whole.connectionAttemptsFailed += part.connectionAttemptsFailed
            whole.refusals.merge(part.refusals, uniquingKeysWith: +)
            whole.reconnects += part.reconnects
            whole.clientsFinished += part.clientsFinished
            whole.clientsGaveUp += part.clientsGaveUp
            whole.clientRequests += part.clientRequests
            whole.clientRequestTimeouts += part.clientRequestTimeouts
            whole.clientRequestErrors += part.clientRequestErrors
            whole.notificationsSent.merge(part.notificationsSent, uniquingKeysWith: +)
            whole.notificationsReceived.merge(part.notificationsReceived, uniquingKeysWith: +)
            whole.serverRequestsAnswered.merge(part.serverRequestsAnswered, uniquingKeysWith: +)
            whole.messagesSent += part.messagesSent
            whole.messagesReceived += part.messagesReceived
            whole.lateResponses += part.lateResponses
            whole.faultsInjected.merge(part.faultsInjected, uniquingKeysWith: +)
            whole.faultsMissed.merge(part.faultsMissed, uniquingKeysWith: +)
            for invariant in part.invariants {
                if let i = whole.invariants.firstIndex(where: { $0.name == invariant.name }) {
                    whole.invariants[i].checks += invariant.checks
                    whole.invariants[i].breaks += invariant.breaks
                } else {
                    whole.invariants.append(invariant)
                }
            }
            whole.invariantBreaks += part.invariantBreaks
            whole.breaks += part.breaks
            whole.cpuSeconds += part.cpuSeconds
            whole.peakMemoryMB = max(whole.peakMemoryMB, part.peakMemoryMB)
            whole.interrupted = whole.interrupted || part.interrupted
            whole.measurements.merge(part.measurements)
            for method in part.methods {
                if let i = whole.methods.firstIndex(where: { $0.method == method.method }) {
                    whole.methods[i].requests += method.requests
                    whole.methods[i].answered += method.answered
                    whole.methods[i].errors.merge(method.errors, uniquingKeysWith: +)
                } else {
                    whole.methods.append(method)
                }
            }
        }
        whole.methods.sort { $0.method < $1.method }
        whole.breaks = ScenarioLoadTally.firstBreaks(whole.breaks)
        whole.applyLatency()
        return whole
    }

    /// Latency figures from ``measurements`` (all methods, and each method's).
    mutating func applyLatency() {
        func ms(_ micros: UInt64) -> Double { Double(micros) / 1000 }
        let all = measurements.latency(method: nil)
        latencyP50Ms = all.map { $0.totalCount == 0 ? 0 : ms($0.valueAtPercentile(50)) } ?? 0
        latencyP99Ms = all.map { $0.totalCount == 0 ? 0 : ms($0.valueAtPercentile(99)) } ?? 0
        latencyMaxMs = all.map { $0.totalCount == 0 ? 0 : ms($0.max) } ?? 0
        for i in methods.indices {
            guard let h = measurements.latency[methods[i].method], h.totalCount > 0 else { continue }
            methods[i].p50Ms = ms(h.valueAtPercentile(50))
            methods[i].p90Ms = ms(h.valueAtPercentile(90))
            methods[i].p99Ms = ms(h.valueAtPercentile(99))
            methods[i].maxMs = ms(h.max)
        }
    }
}
