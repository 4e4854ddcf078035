import Protoo

/// A trace held in memory: a header and its records, read in order (a replay of records
/// chosen in a program, such as a minimiser's candidates).
public final class TraceRecordList: TraceRecordSource {
    public let header: TraceHeader
    /// The records, in order.
    public let records: [TraceRecord]
    /// Set when the records stop short of what was recorded (a cut): a replay then compares
    /// nothing a connection's server does after its last record.
    public let sourceEndedEarly: String?
    private var position = 0

    /// `records` under `header`; `endedEarly` says why they stop short, if they do.
    public init(header: TraceHeader, records: [TraceRecord], endedEarly: String? = nil) {
        self.header = header
        self.records = records
        self.sourceEndedEarly = endedEarly
    }

    public func next() throws(TraceError) -> TraceRecord? {
        guard position < records.count else { return nil }
        position += 1
        return records[position - 1]
    }
}
