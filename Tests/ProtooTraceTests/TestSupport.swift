import Foundation
import Protoo
@testable import ProtooTrace

/// This test process's scratch directory, removed when the process exits.
let temporaryRoot: String = {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("protoo-trace-tests-\(getpid())").path
    try? FileManager.default.removeItem(atPath: dir)  // left by an earlier process with this pid
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: temporaryRoot) }
    return dir
}()

/// A fresh path in a per-test directory under ``temporaryRoot``.
func temporaryPath(_ name: String) -> String {
    let dir = URL(fileURLWithPath: temporaryRoot).appendingPathComponent(UUID().uuidString)
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent(name).path
}

let testHeader = TraceHeader(createdAtUnixNanoseconds: 1_700_000_000_000_000_000, monotonicOrigin: Instant(nanoseconds: 42),
                             producerName: "tests", producerVersion: "1.0", host: "localhost", scenario: "unit", seed: 7)

/// One record of every kind (and the optional variants).
let everyKind: [TraceRecord] = [
    TraceRecord(time: 0, connection: 1, event: .connectionRequested(
        target: "/?roomId=r1&peerId=p1&token=secret", headers: [TraceHeaderField(name: "Origin", value: "https://a.example")],
        remoteAddress: "127.0.0.1:5000")),
    TraceRecord(time: 10, connection: 1, event: .accepted),
    TraceRecord(time: 20, connection: 2, event: .rejected(status: 400, reason: "missing roomId")),
    TraceRecord(time: 1_000_000, connection: 1, event: .messageIn(#"{"request":true,"id":1,"method":"join","data":{"sdp":"v=0 secret"}}"#)),
    TraceRecord(time: 2_000_000, connection: 1, event: .messageOut(#"{"response":true,"id":1,"ok":true,"data":{"ünïcode":"✓"}}"#)),
    TraceRecord(time: 3_000_000, connection: 1, event: .closed(code: 4000, reason: "ICE failed", initiator: .server)),
    TraceRecord(time: 3_000_001, connection: 3, event: .closed(code: nil, reason: "connection lost", initiator: .network)),
    TraceRecord(time: 3_000_002, connection: 4, event: .closed(code: 1000, reason: "", initiator: .client)),
    TraceRecord(time: -5, connection: TraceRecord.validConnections.upperBound, event: .marker(name: "step", text: "time may go backwards across event loops")),
]

/// Writes `records` with small blocks and frames so tests exercise many of each.
@discardableResult
func writeTrace(_ records: [TraceRecord], to path: String, flushBytes: Int = 512, frameBytes: Int = 4096,
                close: Bool = true) throws -> TraceTrailer? {
    let writer = try TraceWriter(path: path, header: testHeader,
                                 options: TraceWriterOptions(flushBytes: flushBytes, frameBytes: frameBytes))
    for r in records { try writer.write(r) }
    if close { return try writer.close() }
    try writer.flush()
    return nil
}

/// Records numbered in their text, on a few connections, one every millisecond.
func numberedRecords(_ count: Int, connections: UInt64 = 5) -> [TraceRecord] {
    (0..<count).map { i in
        TraceRecord(time: Int64(i) * 1_000_000, connection: UInt64(i) % connections + 1,
                    event: .messageOut(#"{"notification":true,"method":"downlinkBwe","data":{"seq":\#(i),"desiredBitrate":\#(1_000_000 + i * 7)}}"#))
    }
}
