import Foundation

/// A recording split by rotation (`run.ptrace.zst`, `run.0001.ptrace.zst`, … or the same with
/// `.jsonl`), read as one trace: the first file's header, then every file's records in order.
///
/// The recorder stamps every file with the same monotonic origin, so record times run on across the
/// files. A request recorded at the end of one file is answered in the next: replaying one file of
/// a set alone shows that as a divergence at its end, replaying the set does not.
public final class TraceSegments: TraceRecordSource {
    /// The files, in order.
    public let paths: [String]
    public let header: TraceHeader
    private var current: any TraceRecordSource
    private var index = 0
    private var earlierDamages: [TraceDamage] = []

    /// Opens `first` (its errors surface here); the files in `rest` are opened as reading reaches them.
    public init(_ first: String, continuedBy rest: [String]) throws(TraceError) {
        paths = [first] + rest
        current = try TraceFiles.openSource(first)
        header = current.header
    }

    public func next() throws(TraceError) -> TraceRecord? {
        while true {
            if let record = try current.next() { return record }
            guard index + 1 < paths.count else { return nil }
            earlierDamages += current.damages
            index += 1
            current = try TraceFiles.openSource(paths[index])
        }
    }

    /// The truncation of the file being read (the last one, once reading is done).
    public var truncation: TraceTruncation? { current.truncation }
    public var damages: [TraceDamage] { earlierDamages + current.damages }
    public var sourceEndedEarly: String? { current.sourceEndedEarly }

    /// The files that continue the recording at `path` (`.0001`, `.0002`, … while they exist),
    /// not including `path` itself.
    public static func continuations(of path: String) -> [String] {
        var found: [String] = []
        var i = 1
        while true {
            let next = TraceFileNaming.path(base: path, index: i)
            guard FileManager.default.fileExists(atPath: next) else { return found }
            found.append(next)
            i += 1
        }
    }
}
