import ServiceLifecycle

/// Says on stderr that the server listens, once its service group has trapped SIGTERM and SIGINT
/// (the group registers its signals before it runs any service): a supervisor that signals the
/// process as soon as it reads the line gets a drain, never a default kill or a lost signal.
struct ReadyAnnouncement: Service {
    let line: String

    func run() async throws {
        writeToStandardError(line)
        try? await gracefulShutdown()
    }
}
