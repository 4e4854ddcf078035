import Foundation
import Testing

/// The `protoo` executable that `swift test` builds beside the test runner, run as a child.
enum ProtooProcess {
    /// Runs `protoo <arguments>` with the environment of this process minus the huge-page variables,
    /// plus `extra`, in `directory` (default: this process's); returns its exit status, standard
    /// output and standard error.
    static func run(_ arguments: [String], environment extra: [String: String] = [:],
                    in directory: URL? = nil) throws -> (status: Int32, output: Data, error: Data) {
        let runner = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        let protoo = runner.deletingLastPathComponent().appendingPathComponent("protoo")
        try #require(FileManager.default.isExecutableFile(atPath: protoo.path),
                     "no protoo executable at \(protoo.path): `swift test` builds it; with --filter, run `swift build` first")
        let process = Process()
        process.executableURL = protoo
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        var environment = ProcessInfo.processInfo.environment
        environment["GLIBC_TUNABLES"] = nil
        environment["PROTOO_HUGE_PAGES"] = nil
        environment.merge(extra) { $1 }
        process.environment = environment
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        // Standard error is read on another thread, so neither pipe can fill up and block the child.
        let errorData = ErrorReader(error.fileHandleForReading)
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, outputData, errorData.wait())
    }

    /// Reads a pipe to its end on a thread of its own.
    private final class ErrorReader: @unchecked Sendable {  // `data` is written once by the reader thread, read after `done` signals
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
