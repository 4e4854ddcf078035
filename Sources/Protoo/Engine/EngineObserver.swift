/// What a server's engine reports for metrics: peers and rooms opening and closing, requests it
/// received and how they were answered. Set one on the server's ``EngineContext/observer`` (the
/// WebSocket server sets one that feeds swift-metrics); without one, nothing is reported and
/// nothing is spent.
public protocol EngineObserver: AnyObject {
    /// A peer was made on this context (a connection joined).
    func peerOpened()
    /// A peer of this context closed.
    func peerClosed()
    /// A room was made on this context.
    func roomOpened()
    /// A room of this context closed.
    func roomClosed()
    /// A request of `method` was answered `after` it arrived: accepted, or rejected with `code`.
    func requestAnswered(method: String, errorCode: Int?, after: Duration)
    /// A notification of `method` arrived.
    func notificationReceived(method: String)
}
