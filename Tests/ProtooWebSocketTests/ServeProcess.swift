import Foundation
import Testing

/// `protoo serve` (the executable `swift build` puts beside the test runner) run as a child
/// through `/bin/sh`, so a test can give it its own `ulimit -n`. Standard error goes to a file.
final class ServeProcess {
    let process = Process()
    let port: Int
    private let logURL: URL

    /// Starts `ulimit -n <fileLimit>; exec protoo serve --app conformance --port 0 <arguments>` and
    /// waits for its "listening" line.
    init(fileLimit: Int? = nil, arguments: [String]) async throws {
        let runner = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        let protoo = runner.deletingLastPathComponent().appendingPathComponent("protoo")
        try #require(FileManager.default.isExecutableFile(atPath: protoo.path),
                     "no protoo executable at \(protoo.path): `swift test` builds it; with --skip-build, run `swift build --build-tests` first")
        logURL = FileManager.default.temporaryDirectory.appendingPathComponent("protoo-serve-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let sink = try FileHandle(forWritingTo: logURL)
        defer { try? sink.close() }
        let quoted = ([protoo.path, "serve", "--app", "conformance", "--port", "0"] + arguments).map { "'\($0)'" }.joined(separator: " ")
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", (fileLimit.map { "ulimit -n \($0) || exit 97; " } ?? "") + "exec " + quoted]
        process.standardOutput = sink
        process.standardError = sink
        try process.run()
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(20)
        var found: Int?
        while found == nil, clock.now < deadline, process.isRunning {
            try await Task.sleep(for: .milliseconds(20))
            found = Self.listeningPort(in: (try? String(contentsOf: logURL, encoding: .utf8)) ?? "")
        }
        guard let found else {
            let log = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            try? FileManager.default.removeItem(at: logURL)
            Issue.record("protoo serve did not start:\n\(log)")
            throw StartFailed()
        }
        port = found
    }

    struct StartFailed: Error {}

    /// The port in `protoo serve`'s "listening on ws://127.0.0.1:PORT/" line.
    private static func listeningPort(in log: String) -> Int? {
        guard let range = log.range(of: "listening on ws://127.0.0.1:") else { return nil }
        let digits = log[range.upperBound...].prefix { $0.isNumber }
        return log[range.upperBound...].dropFirst(digits.count).first == "/" ? Int(digits) : nil
    }

    /// Everything the server wrote so far.
    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// CPU time (user + system) the server used so far, from `/proc/<pid>/stat`.
    var cpuSeconds: Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
              let end = stat.lastIndex(of: ")") else { return 0 }
        // Fields after the command name: state is the 3rd field, utime the 14th, stime the 15th.
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// SIGTERM, then waits for the exit.
    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: logURL)
    }
}
