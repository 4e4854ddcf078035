import Foundation
import Testing

/// The `protoo` executable that `swift build --build-tests` puts beside the test runner, run as a
/// child: a long-running command (`serve`, `proxy`) waited for until its listening banner, or a
/// short one run to its end.
final class ProtooProcess {
    let process = Process()
    let port: Int
    private let logURL: URL

    static var executable: URL {
        get throws {
            let runner = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
            let protoo = runner.deletingLastPathComponent().appendingPathComponent("protoo")
            try #require(FileManager.default.isExecutableFile(atPath: protoo.path),
                         "no protoo executable at \(protoo.path): `swift test` builds it; with --skip-build, run `swift build --build-tests` first")
            return protoo
        }
    }

    /// Starts `protoo <arguments>` and waits for its "listening on ws://HOST:PORT/" line.
    init(_ arguments: [String]) async throws {
        logURL = FileManager.default.temporaryDirectory.appendingPathComponent("protoo-\(arguments.first ?? "run")-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let sink = try FileHandle(forWritingTo: logURL)
        defer { try? sink.close() }
        process.executableURL = try Self.executable
        process.arguments = arguments
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
            Issue.record("protoo \(arguments.joined(separator: " ")) did not start:\n\(log)")
            throw StartFailed()
        }
        port = found
    }

    struct StartFailed: Error {}

    /// The port in a "listening on ws://127.0.0.1:PORT/" line.
    static func listeningPort(in log: String) -> Int? {
        guard let range = log.range(of: "listening on ws://127.0.0.1:") else { return nil }
        let digits = log[range.upperBound...].prefix { $0.isNumber }
        return log[range.upperBound...].dropFirst(digits.count).first == "/" ? Int(digits) : nil
    }

    /// Everything the child wrote so far.
    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// SIGTERM, then waits for the exit; returns the exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: logURL)
    }

    /// Runs `protoo <arguments>` to its end: status, standard output and standard error.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = try executable
        process.arguments = arguments
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("protoo-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("out"), err = directory.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, (try? String(contentsOf: out, encoding: .utf8)) ?? "", (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }
}
