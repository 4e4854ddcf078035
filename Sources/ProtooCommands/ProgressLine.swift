import Dispatch
import Foundation
import Synchronization

/// A live one-line status on stderr, redrawn four times a second while a run lasts, only when
/// stderr is a terminal; erased when the run ends.
final class ProgressLine {
    private let queue = DispatchQueue(label: "protoo.progress")
    private let timer: (any DispatchSourceTimer)?

    /// `text` is called on a private queue and returns the line (after the label and elapsed time).
    init(label: String, text: @escaping @Sendable () -> String) {
        guard isatty(STDERR_FILENO) != 0 else {
            timer = nil
            return
        }
        let start = ContinuousClock.now
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + .milliseconds(250), repeating: .milliseconds(250))
        timer.setEventHandler {
            let elapsed = (ContinuousClock.now - start).components.seconds
            FileHandle.standardError.write(Data("\r\u{1B}[K\(label) \(elapsed)s · \(text())".utf8))
        }
        timer.resume()
        self.timer = timer
    }

    func finish() {
        guard let timer else { return }
        timer.cancel()
        queue.sync {}   // a redraw in progress ends first
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}

/// SIGINT during a run: the first stops the run (what was measured is reported), a second exits.
final class InterruptHandler {
    private let source: any DispatchSourceSignal

    /// Interrupts received so far.
    private final class Count: Sendable {
        let value = Mutex(0)
        func next() -> Int { value.withLock { n in n += 1; return n } }
    }

    init(onInterrupt: @escaping @Sendable () -> Void) {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: DispatchQueue(label: "protoo.interrupt"))
        let count = Count()
        source.setEventHandler {
            let n = count.next()
            if n > 1 { Foundation.exit(130) }
            writeToStandardError("\ninterrupted: stopping, then printing what was measured (^C again to quit at once)\n")
            onInterrupt()
        }
        source.resume()
    }

    func finish() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}

/// Set once, read from anywhere: whether a run was interrupted.
final class InterruptFlag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
