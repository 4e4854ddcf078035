import ArgumentParser

@main
struct ProtooCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "protoo",
        abstract: "The protoo signaling server, simulator and trace tools.",
        subcommands: [ServeCommand.self, Simulate.self, Trace.self, Replay.self, Load.self]
    )
}
