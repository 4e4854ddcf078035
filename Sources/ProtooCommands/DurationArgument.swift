import ArgumentParser

/// A duration on the command line: `500ms`, `30s`, `10m`, `1h` (a bare number means seconds).
struct DurationArgument: ExpressibleByArgument, CustomStringConvertible {
    var duration: Duration
    var text: String

    init?(argument: String) {
        let units: [(String, Int64)] = [("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000)]
        for (suffix, scale) in units where argument.hasSuffix(suffix) {
            guard let n = Double(argument.dropLast(suffix.count)), n >= 0 else { return nil }
            duration = .nanoseconds(Int64(n * Double(scale)))
            text = argument
            return
        }
        guard let n = Double(argument), n >= 0 else { return nil }
        duration = .nanoseconds(Int64(n * 1e9))
        text = argument
    }

    var description: String { text }
}

/// An inclusive seed range on the command line: `1..100`.
struct SeedRange: ExpressibleByArgument {
    var range: ClosedRange<UInt64>

    init?(argument: String) {
        let parts = argument.split(separator: ".", omittingEmptySubsequences: true)
        guard argument.contains(".."), parts.count == 2, let a = UInt64(parts[0]), let b = UInt64(parts[1]), a <= b else { return nil }
        range = a...b
    }
}
