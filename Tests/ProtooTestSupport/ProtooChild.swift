import Foundation
import Testing

/// A long-running `protoo` command (`serve`, `proxy`) run as a child through `/bin/sh`, so that a
/// test can give it its own `ulimit -n`; its output goes to a file. Started on port 0: the port is
/// read from its "listening on ws://127.0.0.1:PORT/" line.
public final class ProtooChild {
    public let process = Process()
    public let port: Int
    private let logURL: URL

    /// Starts `protoo <arguments>` (after `ulimit -n <fileLimit>`) and waits for its listening line.
    public convenience init(_ arguments: [String], fileLimit: Int? = nil) async throws {
        try await self.init(launching: try ProtooTool.executable().path, arguments, fileLimit: fileLimit)
    }

    /// Starts another server that prints the same listening line (the JavaScript protoo-server
    /// twin under node, say), with `environment` added to this process's.
    public init(launching executable: String, _ arguments: [String], environment: [String: String] = [:], fileLimit: Int? = nil) async throws {
        let protoo = URL(fileURLWithPath: executable)
        logURL = FileManager.default.temporaryDirectory.appendingPathComponent("protoo-child-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let sink = try FileHandle(forWritingTo: logURL)
        defer { try? sink.close() }
        let quoted = ([protoo.path] + arguments).map { "'\($0)'" }.joined(separator: " ")
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", (fileLimit.map { "ulimit -n \($0) || exit 97; " } ?? "") + "exec " + quoted]
        process.environment = ProtooTool.childEnvironment(environment)
        process.standardOutput = sink
        process.standardError = sink
        try process.run()
        var found: Int?
        let logURL = self.logURL, process = self.process
        _ = try await eventually(timeout: .seconds(30)) {
            found = Self.listeningPort(in: (try? String(contentsOf: logURL, encoding: .utf8)) ?? "")
            return found != nil || !process.isRunning
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

    public struct StartFailed: Error {}

    /// `ws://127.0.0.1:PORT/`.
    public var url: String { "ws://127.0.0.1:\(port)/" }

    /// The port in a "listening on ws://127.0.0.1:PORT/" line.
    static func listeningPort(in log: String) -> Int? {
        guard let range = log.range(of: "listening on ws://127.0.0.1:") else { return nil }
        let digits = log[range.upperBound...].prefix { $0.isNumber }
        return log[range.upperBound...].dropFirst(digits.count).first == "/" ? Int(digits) : nil
    }

    /// Everything the child wrote so far.
    public var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// SIGTERM, then waits for the exit; returns the exit status.
    @discardableResult
    public func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: logURL)
    }
}
