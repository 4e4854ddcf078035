import Protoo

/// What a conference room awaits before it answers, the way mediasoup-demo's Room awaits mediasoup
/// on almost every request (`router.createWebRtcTransport`, `transport.connect`, `produce`,
/// `consume`, `getStats`, …). Each room is one router (`roomId`). A call may throw; the room then
/// answers the request with the error (500 and its text).
public protocol MediaService: AnyObject {
    /// Performs `call` (a request's method, or `consume` / `consumeData` before a `newConsumer` /
    /// `newDataConsumer`) on the router of `roomId`.
    func perform(_ call: String, roomId: String) async throws
    /// The room closed: its router is gone.
    func closeRouter(roomId: String)
}

/// A media server whose every call takes 0.5–3 ms, drawn from the engine's random stream and slept
/// on the engine's clock: virtual time under the simulator and replay (so runs stay deterministic),
/// the event loop's timer in production. Like a mediasoup worker's channel, a router answers its
/// calls in the order they were made, so the room's messages keep their order whatever the
/// latencies drawn (which lets a production recording replay: its latencies were different).
public final class SimulatedMediaService: MediaService {
    /// Each call's latency is uniform in this range.
    public let latency: ClosedRange<Duration>
    private let context: EngineContext
    /// When each router finishes the calls it has (looked up by room id, never iterated).
    private var busyUntil: [String: Instant] = [:]

    public init(context: EngineContext, latency: ClosedRange<Duration> = .microseconds(500)...(.milliseconds(3))) {
        self.context = context
        self.latency = latency
    }

    public func perform(_ call: String, roomId: String) async throws {
        let low = latency.lowerBound.nanoseconds, span = UInt64(latency.upperBound.nanoseconds - low)
        let start = max(context.now, busyUntil[roomId] ?? context.now)
        let done = start + .nanoseconds(low + Int64(context.random.next(upperBound: span + 1)))
        busyUntil[roomId] = done
        try await context.sleep(until: done)
    }

    public func closeRouter(roomId: String) { busyUntil[roomId] = nil }
}
