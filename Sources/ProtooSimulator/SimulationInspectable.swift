import Protoo

/// An app whose rooms the simulator can inspect for its invariants (no peer left in a closed room,
/// no peer and, for rooms created on demand, no room left once everyone has gone).
public protocol SimulationInspectable {
    /// The rooms the app considers open.
    var openRooms: [Room] { get }
    /// Calls `body` with each open room (the periodic check: no array per check if the app can help it).
    func forEachOpenRoom(_ body: (Room) -> Void)
}

extension SimulationInspectable {
    /// Calls `body` with each of ``openRooms``.
    public func forEachOpenRoom(_ body: (Room) -> Void) { openRooms.forEach(body) }
}
