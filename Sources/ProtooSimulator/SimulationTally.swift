/// What a run counted, before it becomes a ``SimulationReport``. A sharded run adds its shards'
/// tallies up (``merged(_:)``), so its report has the same figures one server would show.
struct SimulationTally {
    var counters: EventLog.Counters
    /// Virtual latencies of the client requests answered, in nanoseconds.
    var latencies: [Int64]
    var clientRequests: Int
    var clientTimeouts: Int
    var clientErrors: Int
    var reconnects: Int
    var events: Int
    var virtualNanoseconds: Int64
    var digest: String

    /// The shards' tallies as one: counts add up, latencies pool, virtual time is the latest,
    /// and the digest covers the shards' digests in shard order (one shard keeps its own).
    static func merged(_ shards: [SimulationTally]) -> SimulationTally {
        guard shards.count > 1 else { return shards[0] }
        var total = shards[0]
        var digest = EventDigest()
        digest.add(UInt64(shards.count))
        digest.add(shards[0].digest)
        for s in shards.dropFirst() {
            total.counters.add(s.counters)
            total.latencies += s.latencies
            total.clientRequests += s.clientRequests
            total.clientTimeouts += s.clientTimeouts
            total.clientErrors += s.clientErrors
            total.reconnects += s.reconnects
            total.events += s.events
            total.virtualNanoseconds = max(total.virtualNanoseconds, s.virtualNanoseconds)
            digest.add(s.digest)
        }
        total.digest = digest.hex
        return total
    }
}
