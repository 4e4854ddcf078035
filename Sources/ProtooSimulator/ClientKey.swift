/// A simulated client's stable name: its group (room number) and its place in the group.
///
/// Everything random about a client (its peer id, arrival, answer style, faults, latency, its
/// script's draws) comes from streams keyed by it, so removing other clients, rooms or faults
/// leaves this client's draws as they were: what lets a failing run shrink (see
/// ``SimulationMinimizer``).
public struct ClientKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The group's number: the client asks for `room-<room>`.
    public var room: Int
    /// The client's place in its group, from 0.
    public var slot: Int

    /// Client `slot` of group `room`.
    public init(room: Int, slot: Int) {
        self.room = room
        self.slot = slot
    }

    public static func < (a: ClientKey, b: ClientKey) -> Bool { (a.room, a.slot) < (b.room, b.slot) }

    /// `room-3/2`: client 2 of `room-3`.
    public var description: String { "room-\(room)/\(slot)" }

    /// Parses ``description``'s form (`room-3/2`).
    public init?(_ text: String) {
        guard text.hasPrefix("room-") else { return nil }
        let parts = text.dropFirst(5).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let room = Int(parts[0]), let slot = Int(parts[1]), room >= 0, slot >= 0 else { return nil }
        self.init(room: room, slot: slot)
    }
}
