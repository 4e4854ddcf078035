import Logging
import Protoo

/// The command line's log handler: every message and metadata value is passed through
/// ``LogSafe/text(_:)`` before it is written, so that nothing a client sends (an id, a method, a
/// reason, a header), through any app, can start a log line of its own.
struct EscapingLogHandler: LogHandler {
    var inner: any LogHandler

    var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = Self.escape(newValue) }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue.map(Self.escape) }
    }

    func log(event: LogEvent) {
        var event = event
        event.message = "\(LogSafe.text(event.message.description))"
        event.metadata = event.metadata.map(Self.escape)
        inner.log(event: event)
    }

    static func escape(_ metadata: Logger.Metadata) -> Logger.Metadata {
        metadata.mapValues(escape)
    }

    static func escape(_ value: Logger.MetadataValue) -> Logger.MetadataValue {
        switch value {
        case .string(let s): return .string(LogSafe.text(s))
        case .stringConvertible(let c): return .string(LogSafe.text(c.description))
        case .array(let items): return .array(items.map(escape))
        case .dictionary(let d): return .dictionary(escape(d))
        }
    }
}
