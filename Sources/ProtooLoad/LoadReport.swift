import Histogram
import ProtooVerdict

/// The outcome of a load run. Counts add up: `completed + errorCount + unfinished == issued`.
public struct LoadReport: Sendable, Codable {
    /// Latency percentiles of answered requests (success and error responses), in microseconds,
    /// from an HdrHistogram (3 significant digits). Open loop: measured from the scheduled arrival.
    public struct Latency: Sendable, Codable, Equatable {
        /// Answered requests recorded.
        public var count: Int
        public var p50: Double
        public var p90: Double
        public var p99: Double
        public var p999: Double
        public var max: Double

        /// The percentiles of a latency histogram in microseconds (all zero when it is empty).
        public init(_ histogram: Histogram<UInt64>) {
            let count = Int(histogram.totalCount)
            func at(_ percentile: Double) -> Double { count == 0 ? 0 : Double(histogram.valueAtPercentile(percentile)) }
            self.init(count: count, p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), max: count == 0 ? 0 : Double(histogram.max))
        }

        /// Percentiles (microseconds) of `count` answered requests.
        public init(count: Int, p50: Double, p90: Double, p99: Double, p999: Double, max: Double) {
            self.count = count
            self.p50 = p50
            self.p90 = p90
            self.p99 = p99
            self.p999 = p999
            self.max = max
        }
    }

    /// The server URL as given (before peer ids were added).
    public var url: String
    /// `closed` (``LoadConfiguration/inflight`` per peer) or `open` (``LoadConfiguration/rate``).
    public var mode: String
    public var method: String
    public var payloadBytes: Int
    public var inflight: Int
    /// Open loop's target rate (requests/s over all peers); `nil` in the closed loop.
    public var rate: Double?
    public var peersRequested: Int
    public var peersConnected: Int
    /// Time to an open WebSocket (TCP + upgrade), over the connected peers, in milliseconds.
    public var connectTimeP50Milliseconds: Double
    public var connectTimeMaxMilliseconds: Double
    /// The configured issuing time.
    public var durationSeconds: Double
    /// From the first request to the last answer (or the drain timeout).
    public var elapsedSeconds: Double
    /// Requests sent.
    public var issued: Int
    /// Success responses.
    public var completed: Int
    /// Failed requests by cause: the error response's code (`"503"`), `timeout`, `closed`
    /// (peer closed while pending), `notConnected`, `clientClosed`.
    public var errors: [String: Int]
    /// Open loop: arrivals that found their peer with ``inflight`` requests in flight (not sent).
    public var droppedArrivals: Int
    /// Still in flight when the drain timeout ended the run.
    public var unfinished: Int
    /// Finished requests (success or error) per second of ``elapsedSeconds``.
    public var requestsPerSecond: Double
    public var latency: Latency
    /// The latency histogram and counts, for ``Threshold``s: requests issued, failed (errors and
    /// unfinished) and timed, under the method's name. Not in the JSON.
    public var measurements = Measurements()

    enum CodingKeys: String, CodingKey {
        case url, mode, method, payloadBytes, inflight, rate, peersRequested, peersConnected, connectTimeP50Milliseconds,
             connectTimeMaxMilliseconds, durationSeconds, elapsedSeconds, issued, completed, errors, droppedArrivals, unfinished,
             requestsPerSecond, latency
    }

    /// All failed requests.
    public var errorCount: Int { errors.values.reduce(0, +) }
}
