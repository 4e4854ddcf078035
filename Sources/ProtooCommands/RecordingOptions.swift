import ArgumentParser
import Foundation
import Logging
import Protoo
import ProtooTrace

/// `--record` and the `--record-*` flags, shared by `serve` and `proxy`.
struct RecordingOptions: ParsableArguments {
    @Option(help: "Record all traffic to a trace file (.ptrace.zst, or .jsonl).")
    var record: String?

    @Option(name: .customLong("record-redact"),
            help: "Query parameters and request headers to leave out of the recording (comma-separated, e.g. token,cookie,authorization).")
    var recordRedact: String?

    @Option(name: .customLong("record-redact-body"),
            help: ArgumentHelp("A JSON path whose value is recorded as \"[redacted]\" in every message (repeatable): data.displayName, data.peers[*].displayName, data.**.sdp.", valueName: "path"))
    var recordRedactBody: [String] = []

    @Flag(name: .customLong("record-overwrite"), help: "Replace an existing recording at --record's path (by default the command refuses to start over one).")
    var recordOverwrite = false

    @Option(name: .customLong("record-level"),
            help: "zstd level of the recording: 1 (default, ≈ 8.5× on conference traffic) up to 19 for smaller files; negative levels (written --record-level=-3) spend less CPU and compress less.")
    var recordLevel: Int32 = 1

    @Option(name: .customLong("record-rotate-mb"), help: "Start a new trace file once the current one holds this many megabytes.")
    var recordRotateMB: Int?

    @Option(name: .customLong("record-rotate-every"), help: "Start a new trace file after this much time (e.g. 1h, 15m).")
    var recordRotateEvery: DurationArgument?

    @Option(name: .customLong("record-overflow"),
            help: "When the writer cannot keep up: drop (default; dropped records are counted in the trailer) or block (back-pressure, no loss).")
    var recordOverflow = "drop"

    @Option(name: .customLong("record-buffer-mb"),
            help: "Megabytes of records the recorder holds for its writer thread before --record-overflow applies (default 64).")
    var recordBufferMB = 64

    func validate() throws {
        guard (-7...19).contains(recordLevel), recordLevel != 0 else {
            throw ValidationError("--record-level must be 1…19, or -1…-7 (written --record-level=-3) for faster, larger files")
        }
        guard ["drop", "block"].contains(recordOverflow) else { throw ValidationError("--record-overflow is drop or block") }
        guard (1...65_536).contains(recordBufferMB) else { throw ValidationError("--record-buffer-mb must be 1…65536 (megabytes)") }
        if let mb = recordRotateMB, mb <= 0 { throw ValidationError("--record-rotate-mb must be positive") }
        if let record, !recordOverwrite {
            for index in 0...1 {
                let path = TraceFileNaming.path(base: record, index: index)
                if FileManager.default.fileExists(atPath: path) {
                    throw ValidationError("--record \(path) exists: a recording never replaces another; give a new path, or add --record-overwrite")
                }
            }
        }
        for path in recordRedactBody where JSONPathPattern(path) == nil {
            throw ValidationError("--record-redact-body '\(path)' is not a JSON path (e.g. data.displayName, data.peers[*].displayName)")
        }
        if let every = recordRotateEvery, every.duration <= .zero { throw ValidationError("--record-rotate-every must be positive") }
    }

    /// The recorder `--record` asks for (`nil` without it), its header naming `producer`.
    /// - Throws: `TraceError` when the file cannot be created.
    func makeRecorder(producer: String) throws -> TraceRecorder? {
        guard let path = record else { return nil }
        let header = TraceHeader(createdAtUnixNanoseconds: Int64(Date().timeIntervalSince1970 * 1e9),
                                 producerName: producer, producerVersion: "0.1.0",
                                 host: ProcessInfo.processInfo.hostName)
        // The 16 kB match table (hashLog 12) suits the fast levels; higher levels keep their own.
        var options = TraceWriterOptions(compressionLevel: recordLevel, hashLog: recordLevel <= 3 ? 12 : nil)
        var redactors: [TraceRedactor] = []
        if let names = recordRedact?.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }), !names.isEmpty {
            redactors += [.stripQueryParameters(Set(names)), .stripHeaders(Set(names))]
        }
        let paths = recordRedactBody.compactMap(JSONPathPattern.init)
        if !paths.isEmpty { redactors.append(.replaceJSONPaths(paths)) }
        if !redactors.isEmpty { options.redactor = .chain(redactors) }
        var configuration = TraceRecorderConfiguration(
            path: path, header: header, writerOptions: options, bufferBytes: recordBufferMB << 20,
            overflowPolicy: recordOverflow == "block" ? .block : .dropNewest,
            rotateBytes: recordRotateMB.map { Int64($0) * 1_048_576 }, rotateInterval: recordRotateEvery?.duration)
        configuration.overwritesExisting = recordOverwrite
        return try TraceRecorder(configuration: configuration, logger: Logger(label: "protoo.trace"))
    }
}
