import Foundation
import Protoo
import Testing
@testable import ProtooTrace

/// The report `protoo trace info` prints, built in the library.
@Suite struct TraceSummaryTests {
    @Test func countsRecordsPeersRoomsAndMessagesByMethod() throws {
        let path = temporaryPath("summary.ptrace")
        var records = everyKind
        // Two methods with the same count: their order must not depend on hashing.
        records.append(TraceRecord(time: 4_000_000, connection: 1, event: .messageIn(#"{"request":true,"id":2,"method":"zeta","data":{}}"#)))
        records.append(TraceRecord(time: 4_000_001, connection: 1, event: .messageIn(#"{"request":true,"id":3,"method":"alpha","data":{}}"#)))
        try writeTrace(records, to: path)
        let fileBytes = try #require(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        let summary = TraceSummary(try TraceReader(path: path), fileBytes: fileBytes)

        #expect(summary.readError == nil)
        let r = summary.report
        #expect(r["records"] == .int(Int64(records.count)))
        #expect(r["peers"] == .int(1))
        #expect(r["rooms"] == .array([.string("r1")]))
        #expect(r["scenario"] == .string("unit"))
        #expect(r["seed"] == .string("7"))
        #expect(r["createdAt"] == .string("2023-11-14T22:13:20Z"))
        #expect(r["fileBytes"] == .int(Int64(fileBytes)))
        guard case .object(let messages)? = r["messages"], case .object(let incoming)? = messages["in"] else {
            Issue.record("no messages.in in \(r)")
            return
        }
        #expect(incoming.map(\.key) == ["request alpha", "request join", "request zeta"])
        #expect(summary.text.contains("records: \(records.count)\n"))
        #expect(summary.text.contains("  in: {\"request alpha\":1,\"request join\":1,\"request zeta\":1}"))
    }

    @Test func reportsWhatWasReadBeforeDamage() throws {
        let path = temporaryPath("damaged.ptrace")
        try writeTrace(numberedRecords(400), to: path, flushBytes: 256, frameBytes: 1024)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: path))
        let summary = TraceSummary(try TraceReader(path: path), fileBytes: bytes.count)
        let error = try #require(summary.readError)
        #expect(summary.report["corrupt"] == .string(error.description))
        guard case .int(let n)? = summary.report["records"] else {
            Issue.record("no record count")
            return
        }
        #expect(n > 0 && n < 400)
    }
}
