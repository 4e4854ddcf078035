import Protoo

/// Built-in server apps on the public engine API, by name (`protoo serve --app NAME`).
public enum BuiltInApps {
    /// The factory of the app called `name`, or `nil` when there is none (see ``names``).
    public static func factory(named name: String) -> ProtooAppFactory? {
        switch name {
        case "conformance": return { ConformanceApp(context: $0) }
        case "conference": return { ConferenceApp(context: $0) }
        case "echo": return { EchoApp(context: $0) }
        default: return nil
        }
    }

    /// Every built-in app name, sorted.
    public static var names: [String] { ["conference", "conformance", "echo"] }
}
