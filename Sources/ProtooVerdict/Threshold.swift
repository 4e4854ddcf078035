import Foundation
import Protoo

/// A pass/fail criterion on what a run measured, as `--threshold` takes it:
/// `p99<50ms`, `p99<0.5ms`, `p50{method:join}<20ms`, `max<=2s`, `errors<0.1%`, `errors==0`,
/// `divergences==0`, `requests>=1000`.
///
/// `METRIC[{method:NAME}] OP VALUE[UNIT]`:
/// - latency: `pN` (`p50`, `p99`, `p99.9`), `max`, `mean`; units `us`, `ms` (the default), `s`;
/// - `errors`: a count, or with `%` a share of the requests; `requests`, `divergences`: counts;
/// - `OP`: `<`, `<=`, `>`, `>=`, `==`, `!=`.
///
/// A threshold with nothing to judge (no request of the method, no requests at all for a
/// percentage) fails: a gate never passes on nothing.
public struct Threshold: Sendable, Hashable, CustomStringConvertible {
    public enum Metric: Sendable, Hashable {
        case percentile(Double)
        case max
        case mean
        case errors
        case requests
        case divergences
    }

    public enum Comparison: String, Sendable, Hashable, CaseIterable {
        case lessOrEqual = "<=", greaterOrEqual = ">=", equal = "==", notEqual = "!=", less = "<", greater = ">"

        func holds(_ a: Double, _ b: Double) -> Bool {
            switch self {
            case .less: return a < b
            case .lessOrEqual: return a <= b
            case .greater: return a > b
            case .greaterOrEqual: return a >= b
            case .equal: return a == b
            case .notEqual: return a != b
            }
        }
    }

    public var metric: Metric
    /// Only requests of this method (`{method:join}`); `nil`: all.
    public var method: String?
    public var comparison: Comparison
    /// Microseconds for latency metrics; a count; a percentage when ``isPercentage``.
    public var value: Double
    public var isPercentage: Bool
    /// The expression as written.
    public var description: String

    /// Parses an expression.
    /// - Throws: ``ThresholdError`` saying what is wrong and what is accepted.
    public init(_ expression: String) throws(ThresholdError) {
        let text = expression.filter { !$0.isWhitespace }
        description = text
        guard let opRange = Self.operatorRange(in: text) else {
            throw ThresholdError(expression, "no comparison: use one of < <= > >= == !=")
        }
        let op = String(text[opRange])
        guard let parsed = Comparison(rawValue: op) else { throw ThresholdError(expression, "unknown comparison \(op)") }
        comparison = parsed
        var left = String(text[..<opRange.lowerBound])
        let right = String(text[opRange.upperBound...])
        if let brace = left.firstIndex(of: "{") {
            guard left.hasSuffix("}") else { throw ThresholdError(expression, "a filter is written {method:NAME}") }
            let filter = left[left.index(after: brace)..<left.index(before: left.endIndex)]
            let parts = filter.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0] == "method", !parts[1].isEmpty else {
                throw ThresholdError(expression, "the only filter is {method:NAME}")
            }
            method = String(parts[1])
            left = String(left[..<brace])
        }
        switch left {
        case "max": metric = .max
        case "mean", "avg": metric = .mean
        case "errors": metric = .errors
        case "requests": metric = .requests
        case "divergences": metric = .divergences
        default:
            guard left.hasPrefix("p"), let p = Double(left.dropFirst()), p > 0, p <= 100 else {
                throw ThresholdError(expression, "unknown metric '\(left)': use pN (p50, p99, p99.9), max, mean, errors, requests or divergences")
            }
            metric = .percentile(p)
        }
        var number = right
        var scale = 1000.0   // latency defaults to milliseconds
        isPercentage = false
        switch metric {
        case .percentile, .max, .mean:
            for (unit, s) in [("us", 1.0), ("µs", 1.0), ("ms", 1000.0), ("s", 1_000_000.0)] where number.hasSuffix(unit) {
                number = String(number.dropLast(unit.count))
                scale = s
                break
            }
        case .errors:
            scale = 1
            if number.hasSuffix("%") {
                number = String(number.dropLast())
                isPercentage = true
            }
        case .requests, .divergences:
            scale = 1
        }
        guard let v = Double(number), v.isFinite, v >= 0 else {
            throw ThresholdError(expression, "'\(right)' is not a number\(scale == 1 ? "" : " with a unit (us, ms, s)")")
        }
        value = v * scale
    }

    private static func operatorRange(in text: String) -> Range<String.Index>? {
        for op in Comparison.allCases.map(\.rawValue) {   // two-character operators first
            if let r = text.range(of: op) { return r }
        }
        return nil
    }

    /// Judges `measurements`.
    public func evaluate(_ measurements: Measurements) -> ThresholdResult {
        let scope = method.map { " of method \($0)" } ?? ""
        switch metric {
        case .percentile, .max, .mean:
            guard let h = measurements.latency(method: method), h.totalCount > 0 else {
                return ThresholdResult(threshold: self, passed: false, actual: nil, detail: "nothing measured: no answered request\(scope)")
            }
            let micros: Double = switch metric {
            case .percentile(let p): Double(h.valueAtPercentile(p))
            case .max: Double(h.max)
            default: h.mean
            }
            return ThresholdResult(threshold: self, passed: comparison.holds(micros, value), actual: micros,
                                   detail: Self.formatMicros(micros))
        case .errors:
            let errors = Double(measurements.count(measurements.errors, method: method))
            let requests = Double(measurements.count(measurements.requests, method: method))
            if isPercentage {
                guard requests > 0 else {
                    return ThresholdResult(threshold: self, passed: false, actual: nil, detail: "nothing measured: no request\(scope)")
                }
                let share = errors / requests * 100
                return ThresholdResult(threshold: self, passed: comparison.holds(share, value), actual: share,
                                       detail: "\(Self.formatShare(share))% (\(Int(errors)) of \(Int(requests)))")
            }
            guard requests > 0 else {
                return ThresholdResult(threshold: self, passed: false, actual: nil, detail: "nothing measured: no request\(scope)")
            }
            return ThresholdResult(threshold: self, passed: comparison.holds(errors, value), actual: errors, detail: "\(Int(errors))")
        case .requests:
            let n = Double(measurements.count(measurements.requests, method: method))
            return ThresholdResult(threshold: self, passed: comparison.holds(n, value), actual: n, detail: "\(Int(n))")
        case .divergences:
            let n = Double(measurements.count(measurements.divergences, method: method))
            return ThresholdResult(threshold: self, passed: comparison.holds(n, value), actual: n, detail: "\(Int(n))")
        }
    }

    /// `850us`, `12.35ms`, `1.5s`.
    static func formatMicros(_ us: Double) -> String {
        if us >= 1_000_000 { return String(format: "%.3gs", us / 1_000_000) }
        if us >= 1000 { return String(format: "%.4gms", us / 1000) }
        return String(format: "%.0fus", us)
    }

    static func formatShare(_ v: Double) -> String { String(format: "%.3g", v) }
}

/// A threshold's verdict.
public struct ThresholdResult: Sendable, Hashable, CustomStringConvertible {
    public var threshold: Threshold
    public var passed: Bool
    /// The measured value (microseconds, a count or a percentage); `nil` when nothing was measured.
    public var actual: Double?
    /// The measured value for people, or why there is none.
    public var detail: String

    public var description: String { "\(passed ? "ok    " : "FAILED") \(threshold.description)  (\(detail))" }

    /// `{"threshold": "p99<50ms", "passed": true, "actual": 3200, "detail": "3.2ms"}`.
    public var json: JSONValue {
        ["threshold": .string(threshold.description), "passed": .bool(passed), "actual": actual.map(JSONValue.double) ?? .null,
         "detail": .string(detail)]
    }

    /// The threshold as a JUnit test case.
    public var testCase: JUnitReport.TestCase {
        JUnitReport.TestCase(name: "threshold \(threshold)", className: "thresholds",
                             failure: passed ? nil : ("\(threshold) failed: \(detail)", description))
    }
}

/// A threshold expression that does not parse.
public struct ThresholdError: Error, Sendable, Hashable, CustomStringConvertible {
    public var expression: String
    public var reason: String

    init(_ expression: String, _ reason: String) {
        self.expression = expression
        self.reason = reason
    }

    public var description: String {
        "invalid threshold '\(expression)': \(reason) (examples: p99<50ms, p50{method:join}<20ms, errors<0.1%, divergences==0)"
    }
}
