import ArgumentParser
import Dispatch
import Foundation
import Protoo
import ProtooScenarios
import ProtooSimulator

/// The `protoo` command tree (serve, proxy, simulate, trace, replay, load) for your own apps and
/// scenarios. A tool of your own is one line of `main.swift`:
///
/// ```swift
/// import ProtooCommands
/// ProtooCommand.main(apps: ["chat": { ChatApp(context: $0) }], scenarios: [chat])
/// ```
/// then `mychat simulate --scenario chat --seed 7 --json`, `mychat serve --app chat`,
/// `mychat replay run.ptrace.zst --app chat` behave as `protoo`'s commands do, with the same
/// flags and JSON. The built-in apps and scenarios stay available beside yours.
public struct ProtooCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "protoo",
        abstract: "The protoo signaling server, simulator and trace tools.",
        subcommands: [ServeCommand.self, ProxyCommand.self, Simulate.self, Trace.self, Replay.self, Load.self, Report.self]
    )

    public init() {}

    /// Runs the command line with `apps` (for `serve --app` and `replay --app`) and `scenarios`
    /// (for `simulate --scenario`) beside the built-in ones, and exits with the command's status.
    /// Blocks the calling thread (serve runs until SIGINT/SIGTERM); call it from `main.swift`.
    /// `commandName` starts the reproduce lines it prints (default: this executable's name).
    public static func main(apps: [String: ProtooAppFactory] = [:], scenarios: [SimulationScenario] = [],
                            commandName: String? = nil) -> Never {
        let name = commandName ?? URL(fileURLWithPath: CommandLine.arguments.first ?? "protoo").lastPathComponent
        CommandRegistry.set(apps: apps, scenarios: scenarios, commandName: name)
        // The async entry point runs off the main thread; the main thread serves the main queue
        // (and the main actor) meanwhile, so nothing that needs it can deadlock.
        Task.detached {
            await Self.runCommandLine(Array(CommandLine.arguments.dropFirst()))
        }
        dispatchMain()
    }

    /// Parses and runs one command line, then exits: 0, 1, or 2 for a usage error (bad arguments
    /// are "could not run", as everywhere in this tool; ArgumentParser's own code is 64).
    static func runCommandLine(_ arguments: [String]) async -> Never {
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            Foundation.exit(0)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if !message.isEmpty {
                let handle = code == .success ? FileHandle.standardOutput : FileHandle.standardError
                handle.write(Data((message + "\n").utf8))
            }
            Foundation.exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }
}
