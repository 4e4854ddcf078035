/// Exact decimal seconds for durations in files and reports: `61.234s`, `0.000000125s`.
enum DurationText {
    /// `d` as seconds with as many decimals as it needs (up to nanoseconds), and an `s`.
    static func format(_ d: Duration) -> String {
        let ns = d.nanoseconds
        let sign = ns < 0 ? "-" : ""
        let magnitude = ns.magnitude
        let whole = magnitude / 1_000_000_000, fraction = magnitude % 1_000_000_000
        guard fraction != 0 else { return "\(sign)\(whole)s" }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 9 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(sign)\(whole).\(digits)s"
    }

    /// Parses ``format(_:)``'s form (`61.234s`; also `1500ms`, `250us`, `10ns`, `2m`).
    static func parse(_ text: String) -> Duration? {
        let units: [(String, Int64)] = [("ns", 1), ("us", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            if suffix == "s", number.last.map({ !$0.isNumber && $0 != "." }) ?? true { continue }
            let negative = number.hasPrefix("-")
            let body = negative ? number.dropFirst() : number
            let parts = body.split(separator: ".", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), let whole = Int64(parts[0]), whole >= 0 else { return nil }
            var total = whole.multipliedReportingOverflow(by: scale)
            guard !total.overflow else { return nil }
            if parts.count == 2 {
                let fraction = parts[1]
                guard !fraction.isEmpty, fraction.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
                var place = scale, value: Int64 = 0
                for digit in fraction {
                    place /= 10
                    guard place > 0 || digit == "0" else { return nil }  // finer than a nanosecond
                    value += Int64(digit.wholeNumberValue!) * place  // `isNumber` and ASCII digit checked above
                }
                total = total.partialValue.addingReportingOverflow(value)
                guard !total.overflow else { return nil }
            }
            return .nanoseconds(negative ? -total.partialValue : total.partialValue)
        }
        return nil
    }
}
