import Foundation

/// `protoo serve` (or `protoo proxy`) as a child process on port 0: its port (parsed from its stderr banner), its own
/// CPU time and resident memory from /proc, and a SIGTERM stop.
final class ChildServer {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let process = Process()
    let port: Int
    private let logPath: String

    var pid: Int32 { process.processIdentifier }

    /// The `protoo` executable built next to this `protoo-bench` (same package, same configuration).
    static func protooExecutable() throws -> URL {
        guard let bench = Bundle.main.executableURL else { throw Failure(description: "cannot locate protoo-bench's own executable") }
        let protoo = bench.deletingLastPathComponent().appendingPathComponent("protoo")
        guard FileManager.default.isExecutableFile(atPath: protoo.path) else {
            throw Failure(description: "no protoo executable at \(protoo.path): run `swift build -c release --product protoo` "
                + "(with the same --scratch-path as protoo-bench) first")
        }
        let modified = { (url: URL) in (try? FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate] as? Date) ?? .distantPast }
        if modified(protoo) < modified(bench) {
            FileHandle.standardError.write(Data("  warning: \(protoo.path) is older than protoo-bench; rebuild it (`swift build -c release --product protoo`) if the server changed\n".utf8))
        }
        return protoo
    }

    /// Starts `protoo serve --app <app> --port 0` and waits (≤ 10 s) for its listening banner.
    convenience init(app: String, extraArguments: [String] = []) throws {
        try self.init(arguments: ["serve", "--app", app, "--host", "127.0.0.1", "--port", "0", "--log-level", "warning"] + extraArguments)
    }

    /// Starts `protoo <arguments>` (a command that prints a `listening on ws://host:port/` banner,
    /// `serve` or `proxy`) and waits (≤ 10 s) for the banner.
    init(arguments: [String]) throws {
        let executable = try Self.protooExecutable()
        logPath = FileManager.default.temporaryDirectory.appendingPathComponent("protoo-bench-serve-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log").path
        guard FileManager.default.createFile(atPath: logPath, contents: nil) else {
            throw Failure(description: "cannot create \(logPath) for the server's stderr")
        }
        process.executableURL = executable
        process.arguments = arguments
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        var found: Int?
        while found == nil, Date() < deadline, process.isRunning {
            Thread.sleep(forTimeInterval: 0.01)
            found = Self.port(inBanner: (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")
        }
        guard let found else {
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            if process.isRunning { process.terminate() }
            throw Failure(description: "protoo \(arguments.first ?? "") did not report its port within 10 s; its stderr:\n\(log)")
        }
        port = found
    }

    /// The port in `protoo serve: app X listening on ws://host:port/`.
    static func port(inBanner text: String) -> Int? {
        guard let range = text.range(of: "listening on ws://") else { return nil }
        let rest = text[range.upperBound...]
        guard let end = rest.firstIndex(of: "/"), let colon = rest[..<end].lastIndex(of: ":") else { return nil }
        return Int(rest[rest.index(after: colon)..<end])
    }

    /// The child's user + system CPU time so far, in seconds (/proc/<pid>/stat, clock ticks).
    func cpuSeconds() throws -> Double { try Self.cpuSeconds(statPath: "/proc/\(pid)/stat") }

    /// CPU time of the child's NIO event-loop threads only (the threads that serve requests), in seconds.
    func eventLoopCPUSeconds() throws -> Double {
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")
        var total = 0.0
        for tid in tasks {
            let comm = (try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/comm", encoding: .utf8)) ?? ""
            guard comm.hasPrefix("NIO-ELT") else { continue }
            total += try Self.cpuSeconds(statPath: "/proc/\(pid)/task/\(tid)/stat")
        }
        return total
    }

    /// The child's resident set size in bytes (/proc/<pid>/status VmRSS).
    func residentBytes() throws -> Double {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") else {
            throw Failure(description: "no VmRSS in /proc/\(pid)/status")
        }
        return kilobytes * 1024
    }

    /// utime + stime of the process whose stat file is at `statPath`, in seconds.
    static func cpuSeconds(statPath: String) throws -> Double {
        let times = try cpuTimes(statPath: statPath)
        return times.user + times.system
    }

    /// The child's user and kernel CPU time so far, in seconds.
    func cpuTimes() throws -> (user: Double, system: Double) { try Self.cpuTimes(statPath: "/proc/\(pid)/stat") }

    /// utime and stime of the process whose stat file is at `statPath`, in seconds.
    static func cpuTimes(statPath: String) throws -> (user: Double, system: Double) {
        let stat = try String(contentsOfFile: statPath, encoding: .utf8)
        // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
        guard let close = stat.lastIndex(of: ")") else { throw Failure(description: "unreadable \(statPath)") }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else {
            throw Failure(description: "unreadable \(statPath)")
        }
        let tick = Double(sysconf(Int32(_SC_CLK_TCK)))
        return (user / tick, system / tick)
    }

    /// SIGTERM, then waits (≤ 10 s, SIGKILL after that) for the exit.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: logPath)
    }
}
