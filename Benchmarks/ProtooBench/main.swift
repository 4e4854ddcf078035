import Foundation
import ProtooSimulator

// The simulator's figures are taken with its heap on huge pages, as `protoo simulate` runs
// (re-executes once; child processes start without it).
HugePages.reexecIfUseful()

// swift run -c release protoo-bench [--quick] [--json] [suite ...]
let arguments = Array(CommandLine.arguments.dropFirst())

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
    ("scenario-load", ScenarioLoadBenchmarks.run),
    ("minimize", MinimizeBenchmarks.run),
]

let usage = """
    usage: protoo-bench [--quick] [--json] [suite …]
    Runs the benchmark suites (all of them, or those named) and prints every figure with its load shape.
      --quick   shorter windows (a smoke run; figures are noisier)
      --json    one JSON object instead of the table
    suites: \(suites.map(\.name).joined(separator: " "))
    Build it in release: swift run -c release protoo-bench
    """
if arguments.contains("--help") || arguments.contains("-h") {
    print(usage)
    exit(0)
}
let known = Set(suites.map(\.name))
let options: Set<String> = ["--quick", "--json"]
let selected = Set(arguments.filter { !$0.hasPrefix("-") })
let unknown = arguments.filter { $0.hasPrefix("-") ? !options.contains($0) : !known.contains($0) }
guard unknown.isEmpty else {
    FileHandle.standardError.write(Data("protoo-bench: unknown \(unknown.joined(separator: ", ")); the suites are \(suites.map(\.name).joined(separator: ", "))\n\(usage)\n".utf8))
    exit(2)
}
let runner = BenchmarkRunner(quick: arguments.contains("--quick"))

#if DEBUG
FileHandle.standardError.write(Data("warning: debug build; figures are meaningless. Use: swift run -c release protoo-bench\n".utf8))
#endif

for suite in suites where selected.isEmpty || selected.contains(suite.name) {
    FileHandle.standardError.write(Data("running \(suite.name)…\n".utf8))
    try suite.run(runner)
}
if arguments.contains("--json") { runner.printJSON() } else { runner.printTable() }
