import ArgumentParser
import Foundation

/// `--partition I/N`: this process does share `I` (0-based) of `N`, as one pod of a Kubernetes
/// Indexed Job or one leg of a CI matrix does. `--partition N` alone takes `I` from
/// `JOB_COMPLETION_INDEX` (what an Indexed Job sets). Each tool's `--json` results of the `N`
/// shares merge with `protoo report merge` into what the whole run prints.
struct PartitionArgument: ExpressibleByArgument, CustomStringConvertible, Sendable {
    var index: Int
    var count: Int

    init?(argument: String) {
        let parts = argument.split(separator: "/", omittingEmptySubsequences: false)
        let indexText: String?
        switch parts.count {
        case 1: indexText = ProcessInfo.processInfo.environment["JOB_COMPLETION_INDEX"]
        case 2: indexText = String(parts[0])
        default: return nil
        }
        guard let indexText, let index = Int(indexText), let count = Int(parts[parts.count - 1]),
              count >= 1, index >= 0, index < count else { return nil }
        self.index = index
        self.count = count
    }

    static var defaultValueDescription: String { "I/N" }

    /// `2/8`.
    var description: String { "\(index)/\(count)" }

    /// This share of `total` items as a contiguous block (the first `total % count` shares have
    /// one more).
    func block(of total: Int) -> Range<Int> {
        let base = total / count, extra = total % count
        let start = index * base + min(index, extra)
        return start..<(start + base + (index < extra ? 1 : 0))
    }
}
