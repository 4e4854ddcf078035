/// What a cleanly closed trace says about itself after its last record.
public struct TraceTrailer: Sendable, Hashable {
    /// Records written, per kind.
    public var recordCounts: [TraceRecordKind: UInt64]
    /// Records the producer had to drop (recorder overflow), never written.
    public var droppedRecords: UInt64
    /// The latest record time (nanoseconds since the origin), or the time given to `close`.
    public var endTime: Int64
    /// Uncompressed size of the encoded record blocks.
    public var rawBytes: UInt64
    /// One entry per compressed frame, in file order.
    public var index: [TraceIndexEntry]
    /// The recorder's staging buffer while the file was written (`nil` for files not written by a
    /// ``TraceRecorder``, and for traces written before the field existed).
    public var recorder: TraceRecorderStatistics?
    /// Set when the records were copied from a trace that ended early or was damaged (`protoo trace
    /// cut --salvage`): what was lost. A replay treats such a trace as cut off.
    public var sourceEndedEarly: String?

    public init(recordCounts: [TraceRecordKind: UInt64] = [:], droppedRecords: UInt64 = 0, endTime: Int64 = 0,
                rawBytes: UInt64 = 0, index: [TraceIndexEntry] = [], recorder: TraceRecorderStatistics? = nil,
                sourceEndedEarly: String? = nil) {
        self.recordCounts = recordCounts
        self.droppedRecords = droppedRecords
        self.endTime = endTime
        self.rawBytes = rawBytes
        self.index = index
        self.recorder = recorder
        self.sourceEndedEarly = sourceEndedEarly
    }

    /// All records written.
    public var totalRecords: UInt64 { recordCounts.values.reduce(0, +) }
}

/// Where one compressed frame lies and which records it holds: lets a reader jump to a time.
public struct TraceIndexEntry: Sendable, Hashable {
    /// File offset of the zstd frame.
    public var frameOffset: Int64
    /// Its compressed length in bytes.
    public var frameLength: Int64
    /// The smallest record time in the frame.
    public var firstTime: Int64
    /// The largest record time in the frame.
    public var lastTime: Int64
    /// Records in the frame.
    public var recordCount: UInt64

    public init(frameOffset: Int64, frameLength: Int64, firstTime: Int64, lastTime: Int64, recordCount: UInt64) {
        self.frameOffset = frameOffset
        self.frameLength = frameLength
        self.firstTime = firstTime
        self.lastTime = lastTime
        self.recordCount = recordCount
    }
}
