import ArgumentParser

/// A byte count on the command line: `65536`, `512KiB`, `64MiB`, `1GiB` (also `KB`/`MB`/`GB`, as powers of 1000).
struct ByteCountArgument: ExpressibleByArgument, CustomStringConvertible {
    var bytes: Int
    var text: String

    init?(argument: String) {
        let units: [(String, Double)] = [("KiB", 1024), ("MiB", 1_048_576), ("GiB", 1_073_741_824),
                                         ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1)]
        var scale = 1.0
        var number = Substring(argument)
        for (suffix, factor) in units where argument.hasSuffix(suffix) {
            scale = factor
            number = argument.dropLast(suffix.count)
            break
        }
        guard let n = Double(number), n >= 0, n * scale < Double(Int.max) else { return nil }
        bytes = Int(n * scale)
        text = argument
    }

    var description: String { text }
}
