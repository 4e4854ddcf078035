import Protoo
import ProtooApps

/// The apps `protoo replay --app NAME` can run.
///
/// A stand-in until `BuiltInApps.factory(named:)` lands: swap the body of ``factory(named:)`` for
/// that registry and nothing else changes.
public enum ReplayApps {
    /// The names ``factory(named:)`` knows.
    public static let names = ["conference", "echo"]

    /// The factory of the built-in app called `name`, or `nil`.
    public static func factory(named name: String) -> ProtooAppFactory? {
        switch name {
        case "conference": return { ConferenceApp(context: $0) }
        case "echo": return { EchoApp(context: $0) }
        default: return nil
        }
    }
}
