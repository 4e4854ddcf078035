import Protoo

/// Where a ``SimulatedClient`` runs: a ``Simulation``'s in-memory network on virtual time, or real
/// WebSockets on an event loop (`protoo load --scenario`). The client asks its host for each
/// connection attempt and reports what it does; the host answers an attempt with
/// ``SimulatedClient/connectionOpened(_:)`` or ``SimulatedClient/connectionFailed(status:)``.
/// Everything runs on the host's ``clientContext``'s scheduler.
package protocol ClientHost: AnyObject {
    /// The clients' engine context: their scheduler, executor and request-id randomness.
    var clientContext: EngineContext { get }
    /// How clients reconnect.
    var retryPolicy: SimulatedClient.RetryPolicy { get }
    /// Starts connection attempt number `attempt` (1, 2, … over the client's life) of `client`.
    func connect(_ client: SimulatedClient, attempt: Int)
    /// The client's connection opened and its peer was made (before its behavior or script runs).
    func clientOpened(_ client: SimulatedClient, peer: Peer)
    /// The client is done with its current connection (closed, or opened after it left).
    func connectionEnded(_ client: SimulatedClient)
    /// A request of `method` is sent: returns the token ``requestFinished(_:latency:failure:)`` gets.
    func requestStarted(_ method: String) -> Int
    /// The request of `token` completed after `latency`: answered (`failure` nil) or failed.
    func requestFinished(_ token: Int, latency: Duration, failure: ProtooError?)
    /// A notification of `method` is sent.
    func notificationSent(_ method: String)
    /// A note for the recent history a failure report shows.
    func recordEvent(_ text: String)
    /// The client reconnected after losing its connection.
    func recordReconnect()
    /// The client is done for good.
    func clientFinished(_ client: SimulatedClient)
    /// The script of client `key` threw something other than a protoo error or a cancellation.
    func scriptFailed(_ key: ClientKey, _ text: String)
}
