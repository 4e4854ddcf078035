import Protoo

/// What a simulated client does once connected: the script of a scenario.
public protocol ClientBehavior: AnyObject {
    /// A connection opened (first time or after a reconnect): join, start timers, set handlers.
    func clientDidOpen(_ client: SimulatedClient, peer: Peer)
    /// The connection's peer closed (before any reconnect).
    func clientDidClose(_ client: SimulatedClient, cause: Peer.CloseCause)
    /// The client is about to leave for good.
    func clientWillLeave(_ client: SimulatedClient)
}

extension ClientBehavior {
    /// Does nothing.
    public func clientDidClose(_ client: SimulatedClient, cause: Peer.CloseCause) {}
    /// Does nothing.
    public func clientWillLeave(_ client: SimulatedClient) {}
}

/// How a client answers the server's requests (a fault knob).
public enum AnswerStyle: Sendable, Hashable {
    /// Answers after a short think time.
    case prompt
    /// Never answers (a throwing async handler in the browser): the server waits out its timeout.
    case silent
    /// Answers `offset` around the server's 30 s timeout (negative: just before).
    case late(offset: Duration)
}

/// The earlier (British) spelling of ``ClientBehavior``.
@available(*, deprecated, renamed: "ClientBehavior")
public typealias ClientBehaviour = ClientBehavior
