/// What a ``TraceRecorder`` reports about its staging buffer in each file's trailer: how full the
/// buffer got and what the overflow policy did while the file was written.
public struct TraceRecorderStatistics: Sendable, Hashable {
    /// The most bytes staged at once (the buffer being filled plus the batch being written).
    public var peakBufferedBytes: UInt64
    /// The bound (``TraceRecorderConfiguration/bufferBytes``).
    public var bufferBytes: UInt64
    /// Records that waited for room (``TraceOverflowPolicy/block``); dropped ones are
    /// ``TraceTrailer/droppedRecords``.
    public var blockedRecords: UInt64

    public init(peakBufferedBytes: UInt64, bufferBytes: UInt64, blockedRecords: UInt64 = 0) {
        self.peakBufferedBytes = peakBufferedBytes
        self.bufferBytes = bufferBytes
        self.blockedRecords = blockedRecords
    }
}
