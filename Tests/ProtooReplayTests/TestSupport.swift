import Foundation
import Protoo
import ProtooTrace

/// The package root, found from this file's path.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Every sample trace in `traces/`.
func sampleTraces() -> [String] {
    let dir = packageRoot.appendingPathComponent("traces")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    return names.filter { $0.hasSuffix(".ptrace.zst") || $0.hasSuffix(".jsonl") }.sorted().map { dir.appendingPathComponent($0).path }
}

/// The sample traces of the conference app (all but the conformance session).
func conferenceSampleTraces() -> [String] { sampleTraces().filter { !$0.hasSuffix("conformance-session.ptrace.zst") } }

let threeRooms = packageRoot.appendingPathComponent("traces/sim-3rooms.ptrace.zst").path
let faults = packageRoot.appendingPathComponent("traces/sim-faults.ptrace.zst").path
let conferenceRules = packageRoot.appendingPathComponent("traces/rules/conference.json").path

/// This test process's scratch directory, removed when the process exits.
let temporaryRoot: String = {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("protoo-replay-tests-\(getpid())").path
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

/// The first record of `path` that `predicate` accepts.
func firstRecord(in path: String, where predicate: (TraceRecord) -> Bool) throws -> TraceRecord? {
    let source = try TraceFiles.openSource(path)
    while let r = try source.next() { if predicate(r) { return r } }
    return nil
}

/// `true` when the record is a server message containing `fragment`.
func isOut(_ r: TraceRecord, containing fragment: String) -> Bool {
    if case .messageOut(let text) = r.event { return text.contains(fragment) }
    return false
}
