import Foundation
import Synchronization

/// A one-line progress bar on stderr, shown only once a run has lasted more than a second
/// and only when stderr is a terminal.
final class ProgressBar: Sendable {
    private let label: String
    private let start = ContinuousClock.now
    private let shown = Atomic<Bool>(false)
    private let enabled = isatty(STDERR_FILENO) != 0

    init(label: String) { self.label = label }

    func update(_ fraction: Double) {
        guard enabled, ContinuousClock.now - start > .seconds(1) else { return }
        shown.store(true, ordering: .relaxed)
        let width = 30
        let filled = Int(min(1, max(0, fraction)) * Double(width))
        let line = "\r\(label) [\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] \(Int(fraction * 100))%"
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        if shown.load(ordering: .relaxed) { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
