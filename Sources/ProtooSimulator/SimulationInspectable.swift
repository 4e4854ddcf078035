import Protoo
import ProtooApps

/// An app whose rooms the simulator can inspect for its invariants (no peer left in a closed room,
/// no peer and, for rooms created on demand, no room left once everyone has gone).
public protocol SimulationInspectable {
    /// The rooms the app considers open.
    var openRooms: [Room] { get }
}

extension ConferenceApp: SimulationInspectable {
    public var openRooms: [Room] { protooRooms }
}

extension EchoApp: SimulationInspectable {
    public var openRooms: [Room] { room.isClosed ? [] : [room] }
}
