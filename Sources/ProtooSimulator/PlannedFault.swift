import Protoo

/// One fault of a run's explicit schedule: what happens, when, to which client.
///
/// A run draws its random faults (``SimulationConfiguration/faults``) into such a schedule
/// before it starts, from per-client and per-room streams, and adds its scripted ones
/// (``SimulationConfiguration/script``). Set ``SimulationConfiguration/faultSchedule`` to run an
/// exact list instead: a minimised run's repro file holds one.
public struct PlannedFault: Hashable, Sendable, CustomStringConvertible {
    /// What happens.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// The client's connection drops without a close frame (it reconnects).
        case drop
        /// The server closes the client's connection with 4000 (it does not reconnect).
        case serverClose
        /// The client's link holds its traffic for ``PlannedFault/length``, then delivers it.
        case clog
        /// As ``clog``: the client is in the half of its room a partition cut off.
        case partition
        /// The client leaves for good.
        case leave
        /// The server app shuts down: every room closes (4000 to every peer).
        case shutdownApp
        /// Server ``PlannedFault/server`` (of ``SimulationConfiguration/servers``) dies: its links
        /// drop, its clients reconnect through the balancer to the others.
        case serverCrash
    }

    /// When, from the start of the run.
    public var at: Duration
    /// What happens.
    public var kind: Kind
    /// To which client (`nil` only for ``Kind/shutdownApp``).
    public var client: ClientKey?
    /// How long a ``Kind/clog`` or ``Kind/partition`` holds the traffic.
    public var length: Duration?
    /// Which server a ``Kind/serverCrash`` kills (0-based).
    public var server: Int?

    /// `kind` on `client` at `at` (lasting `length` for a clog or partition; of `server` for a crash).
    public init(at: Duration, _ kind: Kind, client: ClientKey?, length: Duration? = nil, server: Int? = nil) {
        self.at = at
        self.kind = kind
        self.client = client
        self.length = length
        self.server = server
    }

    /// `drop of room-0/2 at 61.234s`.
    public var description: String {
        var text = "\(kind.rawValue)"
        if let client { text += " of \(client)" }
        if let server { text += " of server \(server)" }
        text += " at \(DurationText.format(at))"
        if let length { text += " for \(DurationText.format(length))" }
        return text
    }
}
