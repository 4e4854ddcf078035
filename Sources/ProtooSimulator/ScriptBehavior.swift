import Protoo

/// Runs a scenario's async script on each open of one client, cancelled by the close.
final class ScriptBehavior: ClientBehavior {
    let script: SimulationScenario.Script
    let onServerRequest: SimulationScenario.ServerRequestHandler
    let onServerNotification: SimulationScenario.ServerNotificationHandler?
    let answers: AnswerStyle
    /// Reports a script's unexpected error to the run.
    let failed: (String) -> Void
    private var task: Int?

    init(_ scenario: SimulationScenario, script: @escaping SimulationScenario.Script, answers: AnswerStyle,
         failed: @escaping (String) -> Void) {
        self.script = script
        self.onServerRequest = scenario.onServerRequest
        self.onServerNotification = scenario.onServerNotification
        self.answers = answers
        self.failed = failed
    }

    func clientDidOpen(_ client: SimulatedClient, peer: Peer) {
        let session = ScenarioClient(simulated: client, peer: peer, random: SeededRandom(seed: client.random.next()))
        let executor = client.context.executor
        let answers = self.answers, handler = onServerRequest
        peer.onRequest { [unowned client] request in
            let think: Duration
            switch answers {
            case .silent: return .deferred
            case .late(let offset): think = .seconds(30) + offset
            case .prompt: think = .milliseconds(Int64(2 + client.random.next(upperBound: UInt64(30))))
            }
            executor.spawn("server request '\(request.method)' to client", client.peerId) {
                do {
                    try await client.context.sleep(for: think)
                    switch try await handler(session, request) {
                    case .accept(let data): request.accept(data)
                    case .reject(let code, let reason): request.reject(code: code, reason: reason)
                    case .deferred: break
                    }
                } catch is CancellationError {
                } catch {
                    request.reject(error)
                }
            }
            return .deferred
        }
        let onServerNotification = self.onServerNotification
        peer.onNotification { method, data in
            onServerNotification?(session, method, data)
            session.inbox.deliver(method, data)
        }
        let script = self.script, failed = self.failed
        task = executor.spawn("client script of", client.peerId) {
            do {
                try await script(session)
            } catch is ProtooError {
            } catch is CancellationError {
            } catch {
                failed("client script of \(client.peerId) threw: \(error)")
            }
        }
    }

    func clientDidClose(_ client: SimulatedClient, cause: Peer.CloseCause) {
        if let task { client.context.executor.cancel(task) }
        task = nil
    }
}
