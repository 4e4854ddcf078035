import Metrics
import ProtooTrace

/// The recorder's series, sampled every second while it records: `protoo_recorder_buffer_bytes`
/// (gauge) and `protoo_recorder_dropped_records_total` (counter).
enum RecorderMetrics {
    /// Samples `recorder` until the task is cancelled.
    static func sample(_ recorder: TraceRecorder) async {
        let buffer = Gauge(label: "protoo_recorder_buffer_bytes")
        let dropped = Counter(label: "protoo_recorder_dropped_records_total")
        var reported: UInt64 = 0
        while !Task.isCancelled {
            buffer.record(recorder.bufferedBytes)
            let now = recorder.droppedRecords
            if now > reported {
                dropped.increment(by: Int(now - reported))
                reported = now
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
