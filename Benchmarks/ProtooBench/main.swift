import Foundation
import ProtooSimulator

// The simulator's figures are taken with its heap on huge pages, as `protoo simulate` runs
// (re-executes once; child processes start without it).
HugePages.reexecIfUseful()

// swift run -c release protoo-bench [--quick] [--json] [suite ...]
let arguments = Array(CommandLine.arguments.dropFirst())
let runner = BenchmarkRunner(quick: arguments.contains("--quick"))
let selected = Set(arguments.filter { !$0.hasPrefix("--") })

/// Every suite, in the order they run. Each lives in its own file.
let suites: [(name: String, run: (BenchmarkRunner) throws -> Void)] = [
    ("codec", CodecBenchmarks.run),
    ("engine", EngineBenchmarks.run),
    ("simulator", SimulatorBenchmarks.run),
    ("media", SimulatorBenchmarks.runMedia),
    ("scenario", ScenarioBenchmarks.run),
    ("traces", TraceBenchmarks.run),
    ("replay", ReplayBenchmarks.run),
    ("sockets", SocketBenchmarks.run),
    ("proxy", ProxyBenchmarks.run),
]

#if DEBUG
FileHandle.standardError.write(Data("warning: debug build; figures are meaningless. Use: swift run -c release protoo-bench\n".utf8))
#endif

for suite in suites where selected.isEmpty || selected.contains(suite.name) {
    FileHandle.standardError.write(Data("running \(suite.name)…\n".utf8))
    try suite.run(runner)
}
if arguments.contains("--json") { runner.printJSON() } else { runner.printTable() }
