import ProtooCommands

// `protoo`: the command tree with the built-in apps (conformance, conference, echo) and scenarios.
ProtooCommand.main(commandName: "swift run protoo")
