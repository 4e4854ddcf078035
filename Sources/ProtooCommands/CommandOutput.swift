import Foundation
import Logging

/// Sends every logger to standard error at `level` (`info` when it is not a level name), every
/// client-supplied character that could forge a line escaped (``EscapingLogHandler``). Once per process.
func bootstrapLogging(level: String) {
    let level = Logger.Level(rawValue: level) ?? .info
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return EscapingLogHandler(inner: handler)
    }
}

/// Writes `text` to standard error as it is (the listening banners tests and scripts parse).
func writeToStandardError(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
}
