import Protoo

/// What a trace file says about itself before its first record.
public struct TraceHeader: Sendable, Hashable {
    /// The format version this library writes.
    public static let currentFormatVersion: UInt16 = 1

    /// The format version of the file.
    public var formatVersion: UInt16
    /// Wall-clock creation time, nanoseconds since the Unix epoch (informational only).
    public var createdAtUnixNanoseconds: Int64
    /// The engine instant that record times count from.
    public var monotonicOrigin: Instant
    /// The program that wrote the trace, e.g. `protoo-server`.
    public var producerName: String
    /// Its version.
    public var producerVersion: String
    /// The host it ran on.
    public var host: String
    /// For simulated traces: the scenario name.
    public var scenario: String?
    /// For simulated traces: the seed that reproduces the run.
    public var seed: UInt64?

    public init(createdAtUnixNanoseconds: Int64, monotonicOrigin: Instant = .zero,
                producerName: String, producerVersion: String, host: String,
                scenario: String? = nil, seed: UInt64? = nil,
                formatVersion: UInt16 = TraceHeader.currentFormatVersion) {
        self.formatVersion = formatVersion
        self.createdAtUnixNanoseconds = createdAtUnixNanoseconds
        self.monotonicOrigin = monotonicOrigin
        self.producerName = producerName
        self.producerVersion = producerVersion
        self.host = host
        self.scenario = scenario
        self.seed = seed
    }
}
