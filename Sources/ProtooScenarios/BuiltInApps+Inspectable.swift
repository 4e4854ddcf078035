import Protoo
import ProtooApps
import ProtooSimulator

/// The built-in apps, inspectable by the simulator's invariants.
extension ConferenceApp: SimulationInspectable {
    public var openRooms: [Room] { protooRooms }
    public func forEachOpenRoom(_ body: (Room) -> Void) { forEachProtooRoom(body) }
}

extension EchoApp: SimulationInspectable {
    public var openRooms: [Room] { room.isClosed ? [] : [room] }
}
