import ArgumentParser
import Foundation
import ProtooVerdict

/// `--threshold`, `--junit` and `--allow-empty`: what makes a run a CI gate (replay and load).
struct VerdictOptions: ParsableArguments {
    @Option(name: .customLong("threshold"),
            help: ArgumentHelp("A pass/fail criterion (repeatable): p99<50ms, p50{method:join}<20ms, max<2s, errors<0.1%, divergences==0, requests>100. A failed one exits 1 and is named.",
                               valueName: "expr"))
    var thresholds: [String] = []

    @Option(help: ArgumentHelp("Also write the outcome as JUnit XML to this file (GitHub Actions, GitLab and Jenkins show it).", valueName: "file"))
    var junit: String?

    @Flag(name: .customLong("allow-empty"), help: "Nothing compared (or no connection opened) passes instead of exiting 2.")
    var allowEmpty = false

    func validate() throws {
        for t in thresholds {
            do { _ = try Threshold(t) } catch { throw ValidationError(error.description) }
        }
        if let junit, junit.isEmpty { throw ValidationError("--junit needs a file name") }
    }

    var parsed: [Threshold] { thresholds.compactMap { try? Threshold($0) } }

    /// Refuses a JUnit path that is one of the run's inputs (a tool never overwrites its input).
    func checkJUnitPath(against inputs: [String]) throws {
        guard let junit else { return }
        let target = URL(fileURLWithPath: junit).standardizedFileURL.path
        if inputs.contains(where: { URL(fileURLWithPath: $0).standardizedFileURL.path == target }) {
            throw ValidationError("--junit \(junit) is one of the inputs; give another file")
        }
    }

    /// Writes the JUnit report when asked; a write failure is reported and makes the run exit 2.
    func write(_ report: @autoclosure () -> JUnitReport, tool: String) -> Bool {
        guard let junit else { return true }
        do {
            try report().write(to: junit)
            return true
        } catch {
            writeToStandardError("\(tool): \(error)\n")
            return false
        }
    }
}

/// Ends a run with its verdict's exit code (0 passed, 1 failed, 2 could not run).
func finishRun(_ verdict: Verdict) throws -> Never {
    throw ExitCode(verdict.exitCode)
}
