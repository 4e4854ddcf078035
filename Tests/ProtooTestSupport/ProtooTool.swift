import Foundation
import Testing

/// The `protoo` executable that `swift build --build-tests` builds beside the test runner, run as a
/// child: the tools are tested as users run them.
public enum ProtooTool {
    public struct Result: Sendable {
        public var status: Int32
        public var output: Data
        public var error: String
        public var outputText: String { String(decoding: output, as: UTF8.self) }
        public var outputLines: Int { output.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } }
    }

    /// The executable (`protoo`, or another product such as `protoo-bench`); fails the test when it was not built.
    public static func executable(_ name: String = "protoo") throws -> URL {
        let runner = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        let protoo = runner.deletingLastPathComponent().appendingPathComponent(name)
        try #require(FileManager.default.isExecutableFile(atPath: protoo.path),
                     "no protoo executable at \(protoo.path): `swift test` builds it; with --skip-build, run `swift build --build-tests` first")
        return protoo
    }

    /// Runs `protoo <arguments>` to its end in `directory` (default: the current one), with this
    /// process's environment minus the huge-page variables, plus `environment`.
    public static func run(_ arguments: [String], environment extra: [String: String] = [:], in directory: String? = nil,
                           executable name: String = "protoo") throws -> Result {
        let process = Process()
        process.executableURL = try executable(name)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.environment = childEnvironment(extra)
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let errorData = PipeReader(error.fileHandleForReading)
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: outputData, error: String(decoding: errorData.wait(), as: UTF8.self))
    }

    static func childEnvironment(_ extra: [String: String]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["GLIBC_TUNABLES"] = nil
        environment["PROTOO_HUGE_PAGES"] = nil
        environment.merge(extra) { $1 }
        return environment
    }

    /// Reads a pipe to its end on a thread of its own (so neither pipe fills and blocks the child).
    final class PipeReader: @unchecked Sendable {  // `data` is written once by the reader thread, read after `done` signals
        private var data = Data()
        private let done = DispatchSemaphore(value: 0)
        init(_ handle: FileHandle) {
            Thread.detachNewThread { [self] in
                data = handle.readDataToEndOfFile()
                done.signal()
            }
        }
        func wait() -> Data {
            done.wait()
            return data
        }
    }
}

/// The command a hint in an error message gives (the text between backquotes that starts with
/// `protoo `), as arguments with FILE, COPY and the like replaced.
public func hintedCommand(in message: String, replacing placeholders: [String: String]) -> [String]? {
    let parts = message.split(separator: "`", omittingEmptySubsequences: false)
    guard let command = stride(from: 1, to: parts.count, by: 2).map({ parts[$0] }).first(where: { $0.hasPrefix("protoo ") }) else { return nil }
    return command.split(separator: " ").dropFirst().map { placeholders[String($0)] ?? String($0) }
}
