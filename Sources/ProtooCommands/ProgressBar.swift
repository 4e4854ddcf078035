import Foundation

/// A one-line progress bar on stderr, shown only once a run has lasted more than a second
/// and only when stderr is a terminal.
final class ProgressBar: @unchecked Sendable {  // one caller at a time: a run's loop, or the swarm under its lock
    private let label: String
    private let start = ContinuousClock.now
    private var shown = false
    private let enabled = isatty(STDERR_FILENO) != 0

    init(label: String) { self.label = label }

    func update(_ fraction: Double) {
        guard enabled, ContinuousClock.now - start > .seconds(1) else { return }
        shown = true
        let width = 30
        let filled = Int(min(1, max(0, fraction)) * Double(width))
        let line = "\r\(label) [\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] \(Int(fraction * 100))%"
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
