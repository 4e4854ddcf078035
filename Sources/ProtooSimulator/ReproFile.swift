import Foundation
import Protoo

/// The JSON form of a ``SimulationRepro`` (format `protoo-simulation-repro`, version 1):
/// durations as exact decimal seconds (`"61.234s"`), clients as `room-3/2`.
struct ReproFile: Codable {
    static let formatName = "protoo-simulation-repro"

    struct Fault: Codable {
        var at: String
        var kind: String
        var client: String?
        var length: String?
        var server: Int?
    }
    struct StepLimit: Codable {
        var client: String
        var steps: Int
    }
    struct Faults: Codable {
        var dropRate, serverCloseRate, clogRate, partitionRate, silentShare, lateShare: Double
        var serverCrashRate: Double?
        var clogDuration, partitionDuration: String
    }
    struct Latency: Codable {
        var base: String
        var distribution: String
        var spread: String?
        var mean: String?
        var bytesPerSecond: Int?
    }
    struct Retry: Codable {
        var retries: Int
        var factor: Double
        var minTimeout, maxTimeout: String
    }

    var format: String
    var version: Int
    var scenario: String
    var seed: UInt64
    var invariant: String
    var failure: String?
    var eventsToFailure: Int?
    var firstRoom: Int
    var roomSizes: [Int]
    var servers: Int?
    var clients: [String]
    var duration, drainTime, arrivalWindow, invariantInterval: String
    var shuffleSameInstant: Bool
    var history: Int
    var faultProfile: Faults
    var latency: Latency
    var retry: Retry
    var faults: [Fault]
    var stepLimits: [StepLimit]

    init(_ repro: SimulationRepro) {
        let c = repro.configuration
        let d = DurationText.format
        format = Self.formatName
        version = 1
        scenario = c.scenario.rawValue
        seed = c.seed
        invariant = repro.invariant
        failure = repro.failure
        eventsToFailure = repro.events
        firstRoom = c.firstRoom
        roomSizes = c.roomSizes
        servers = c.servers > 1 ? c.servers : nil
        clients = c.clientKeys.map(\.description)
        duration = d(c.duration)
        drainTime = d(c.drainTime)
        arrivalWindow = d(c.arrivalWindow)
        invariantInterval = d(c.invariantInterval)
        shuffleSameInstant = c.shuffleSameInstant
        history = c.history
        let f = c.faults
        faultProfile = Faults(dropRate: f.dropRate, serverCloseRate: f.serverCloseRate, clogRate: f.clogRate,
                              partitionRate: f.partitionRate, silentShare: f.silentShare, lateShare: f.lateShare,
                              serverCrashRate: f.serverCrashRate > 0 ? f.serverCrashRate : nil, clogDuration: d(f.clogDuration), partitionDuration: d(f.partitionDuration))
        let l = c.latency
        switch l.distribution {
        case .constant: latency = Latency(base: d(l.base), distribution: "constant", bytesPerSecond: l.bytesPerSecond)
        case .uniform(let spread): latency = Latency(base: d(l.base), distribution: "uniform", spread: d(spread), bytesPerSecond: l.bytesPerSecond)
        case .exponential(let mean): latency = Latency(base: d(l.base), distribution: "exponential", mean: d(mean), bytesPerSecond: l.bytesPerSecond)
        }
        retry = Retry(retries: c.retry.retries, factor: c.retry.factor, minTimeout: d(c.retry.minTimeout), maxTimeout: d(c.retry.maxTimeout))
        faults = FaultPlan.schedule(for: c).map {
            Fault(at: d($0.at), kind: $0.kind.rawValue, client: $0.client?.description, length: $0.length.map(d), server: $0.server)
        }
        stepLimits = c.stepLimits.sorted { $0.key < $1.key }.map { StepLimit(client: $0.key.description, steps: $0.value) }
    }

    func repro() throws(SimulationReproError) -> SimulationRepro {
        func invalid(_ what: String) -> SimulationReproError { SimulationReproError(.invalid, "repro file: \(what)") }
        func parse(_ text: String, _ field: String) throws(SimulationReproError) -> Duration {
            guard let value = DurationText.parse(text) else { throw invalid("\(field) '\(text)' is not a duration such as 61.234s") }
            return value
        }
        func key(_ text: String) throws(SimulationReproError) -> ClientKey {
            guard let key = ClientKey(text) else { throw invalid("client '\(text)' is not of the form room-3/2") }
            return key
        }
        guard format == Self.formatName else { throw invalid("format is '\(format)', not \(Self.formatName)") }
        guard version == 1 else { throw invalid("version \(version) is newer than this tool's (1): update protoo") }
        guard !roomSizes.isEmpty, roomSizes.allSatisfy({ $0 > 0 }) else { throw invalid("roomSizes must be positive counts") }
        var c = SimulationConfiguration()
        c.scenario = .init(rawValue: scenario)
        c.seed = seed
        c.firstRoom = firstRoom
        c.roomSizes = roomSizes
        c.servers = servers ?? 1
        guard c.servers >= 1 else { throw invalid("servers must be at least 1") }
        var population: [ClientKey] = []
        for client in clients { population.append(try key(client)) }
        c.population = population
        c.duration = try parse(duration, "duration")
        c.drainTime = try parse(drainTime, "drainTime")
        c.arrivalWindow = try parse(arrivalWindow, "arrivalWindow")
        c.invariantInterval = try parse(invariantInterval, "invariantInterval")
        guard c.invariantInterval > .zero else { throw invalid("invariantInterval must be positive") }
        c.shuffleSameInstant = shuffleSameInstant
        c.history = history
        var f = FaultProfile()
        f.dropRate = faultProfile.dropRate
        f.serverCloseRate = faultProfile.serverCloseRate
        f.clogRate = faultProfile.clogRate
        f.partitionRate = faultProfile.partitionRate
        f.silentShare = faultProfile.silentShare
        f.lateShare = faultProfile.lateShare
        f.serverCrashRate = faultProfile.serverCrashRate ?? 0
        f.clogDuration = try parse(faultProfile.clogDuration, "faultProfile.clogDuration")
        f.partitionDuration = try parse(faultProfile.partitionDuration, "faultProfile.partitionDuration")
        c.faults = f
        let base = try parse(latency.base, "latency.base")
        switch latency.distribution {
        case "constant": c.latency = LatencyModel(base: base, distribution: .constant, bytesPerSecond: latency.bytesPerSecond)
        case "uniform":
            c.latency = LatencyModel(base: base, distribution: .uniform(spread: try parse(latency.spread ?? "", "latency.spread")),
                                     bytesPerSecond: latency.bytesPerSecond)
        case "exponential":
            c.latency = LatencyModel(base: base, distribution: .exponential(mean: try parse(latency.mean ?? "", "latency.mean")),
                                     bytesPerSecond: latency.bytesPerSecond)
        default: throw invalid("latency.distribution '\(latency.distribution)' is not constant, uniform or exponential")
        }
        c.retry.retries = retry.retries
        c.retry.factor = retry.factor
        c.retry.minTimeout = try parse(retry.minTimeout, "retry.minTimeout")
        c.retry.maxTimeout = try parse(retry.maxTimeout, "retry.maxTimeout")
        var schedule: [PlannedFault] = []
        for fault in faults {
            guard let kind = PlannedFault.Kind(rawValue: fault.kind) else {
                throw invalid("fault kind '\(fault.kind)' is not one of \(PlannedFault.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let client = try fault.client.map { text throws(SimulationReproError) in try key(text) }
            guard client != nil || kind == .shutdownApp || kind == .serverCrash else { throw invalid("a \(kind.rawValue) fault needs a client") }
            guard kind != .serverCrash || fault.server.map({ (0..<c.servers).contains($0) }) == true else {
                throw invalid("a serverCrash fault needs a server among the run's \(c.servers)")
            }
            let length = try fault.length.map { text throws(SimulationReproError) in try parse(text, "fault length") }
            schedule.append(PlannedFault(at: try parse(fault.at, "fault at"), kind, client: client, length: length, server: fault.server))
        }
        c.faultSchedule = schedule
        for limit in stepLimits { c.stepLimits[try key(limit.client)] = max(0, limit.steps) }
        return SimulationRepro(configuration: c, invariant: invariant, failure: failure, events: eventsToFailure)
    }
}
