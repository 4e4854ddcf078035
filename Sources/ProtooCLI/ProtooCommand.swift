import ArgumentParser

@main
struct ProtooCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "protoo",
        abstract: "The protoo signaling server, simulator and trace tools.",
        subcommands: [Simulate.self, Trace.self, Replay.self]
    )
}
