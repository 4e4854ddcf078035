import Protoo

/// Draws a run's faults into an explicit schedule before it starts.
///
/// Each client's drops, server closes and clogs come from its own stream (seeded by the run's
/// seed and its ``ClientKey``), each room's partitions from the room's, so the schedule of one
/// client or room does not depend on how many others there are. Scripted faults join in,
/// renamed from client numbers to keys.
package enum FaultPlan {
    /// The faults `configuration` runs, in time order: its ``SimulationConfiguration/faultSchedule``
    /// if set, else the drawn and scripted ones; only those of clients the run makes.
    package static func schedule(for configuration: SimulationConfiguration) -> [PlannedFault] {
        let keys = Set(configuration.clientKeys)
        let all = configuration.faultSchedule ?? drawn(configuration) + scripted(configuration)
        let kept = all.enumerated().filter { _, fault in fault.client.map(keys.contains) ?? true }
        // Time order; same instant: the order they were listed in.
        return kept.sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
    }

    /// When a client first connects: uniform within the arrival window, from its own stream.
    package static func arrival(of key: ClientKey, in configuration: SimulationConfiguration) -> Instant {
        let window = configuration.arrivalWindow.nanoseconds
        guard window > 0 else { return .zero }
        var random = RandomStream.arrival.random(configuration.seed, key.room, key.slot)
        return Instant(nanoseconds: Int64(random.next(upperBound: UInt64(window))))
    }

    /// The random faults of ``SimulationConfiguration/faults`` up to the run's duration.
    private static func drawn(_ c: SimulationConfiguration) -> [PlannedFault] {
        let f = c.faults
        let end = Instant.zero + c.duration
        var faults: [PlannedFault] = []
        /// Faults at `rate` per minute from `start`, drawn from `random` until the run's end.
        func chain(_ rate: Double, from start: Instant, _ random: inout SeededRandom, _ make: (Duration, inout SeededRandom) -> Void) {
            guard rate > 0 else { return }
            var at = start
            while true {
                at = at + .milliseconds(Int64(PortableMath.exponential(mean: 60_000.0 / rate, u: random.nextUnit())))
                guard at < end else { return }
                make(at - .zero, &random)
            }
        }
        for key in c.allClientKeys {
            let start = arrival(of: key, in: c)
            let kinds: [(Double, PlannedFault.Kind, Duration?)] = [
                (f.dropRate, .drop, nil), (f.serverCloseRate, .serverClose, nil), (f.clogRate, .clog, f.clogDuration),
            ]
            for (index, (rate, kind, length)) in kinds.enumerated() {
                var random = RandomStream.faults.random(c.seed, key.room, key.slot, index)
                chain(rate, from: start, &random) { at, _ in faults.append(PlannedFault(at: at, kind, client: key, length: length)) }
            }
        }
        for (group, size) in c.roomSizes.enumerated() {
            let room = c.firstRoom + group
            var random = RandomStream.partition.random(c.seed, room)
            chain(f.partitionRate, from: .zero, &random) { at, random in
                // Half the room, chosen by the room's stream, loses connectivity for a while.
                for slot in 0..<size where random.next() & 1 == 0 {
                    faults.append(PlannedFault(at: at, .partition, client: ClientKey(room: room, slot: slot), length: f.partitionDuration))
                }
            }
        }
        if c.servers > 1 {
            for server in 0..<c.servers {
                var random = RandomStream.serverCrash.random(c.seed, server)
                chain(f.serverCrashRate, from: .zero, &random) { at, _ in
                    faults.append(PlannedFault(at: at, .serverCrash, client: nil, server: server))
                }
            }
        }
        return faults
    }

    /// ``SimulationConfiguration/script``, by client key.
    private static func scripted(_ c: SimulationConfiguration) -> [PlannedFault] {
        c.script.compactMap { fault in
            let key = c.clientKey(ofIndex: fault.client)
            switch fault.action {
            case .drop: return key.map { PlannedFault(at: fault.at, .drop, client: $0) }
            case .serverClose: return key.map { PlannedFault(at: fault.at, .serverClose, client: $0) }
            case .clog(let d): return key.map { PlannedFault(at: fault.at, .clog, client: $0, length: d) }
            case .leave: return key.map { PlannedFault(at: fault.at, .leave, client: $0) }
            case .shutdownApp: return PlannedFault(at: fault.at, .shutdownApp, client: nil)
            }
        }
    }
}

extension FaultPlan {
    /// How client `key` answers the server's requests: drawn from its own stream with the
    /// profile's shares (``FaultProfile/silentShare``, ``FaultProfile/lateShare``).
    package static func answerStyle(of key: ClientKey, in configuration: SimulationConfiguration) -> AnswerStyle {
        let f = configuration.faults
        var random = RandomStream.answers.random(configuration.seed, key.room, key.slot)
        let u = random.nextUnit()
        if u < f.silentShare { return .silent }
        if u < f.silentShare + f.lateShare {
            return random.next() & 1 == 0 ? .late(offset: .milliseconds(-1)) : .late(offset: .milliseconds(1))
        }
        return .prompt
    }
}
