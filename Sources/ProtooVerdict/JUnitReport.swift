import Foundation

/// A JUnit XML report, the format GitHub Actions, GitLab and Jenkins show: `protoo replay
/// --target --junit FILE` writes a test case per recorded connection, `protoo load --junit FILE`
/// one per threshold.
public struct JUnitReport: Sendable {
    public struct TestCase: Sendable {
        public var name: String
        public var className: String
        public var seconds: Double
        /// `nil`: passed.
        public var failure: (message: String, details: String)?
        /// Not run, with why (`nil`: it ran).
        public var skipped: String?

        public init(name: String, className: String, seconds: Double = 0, failure: (message: String, details: String)? = nil,
                    skipped: String? = nil) {
            self.name = name
            self.className = className
            self.seconds = seconds
            self.failure = failure
            self.skipped = skipped
        }
    }

    public var suiteName: String
    public var seconds: Double
    public var testCases: [TestCase]

    public init(suiteName: String, seconds: Double, testCases: [TestCase]) {
        self.suiteName = suiteName
        self.seconds = seconds
        self.testCases = testCases
    }

    public var failures: Int { testCases.filter { $0.failure != nil }.count }

    /// The XML document.
    public var xml: String {
        let skipped = testCases.filter { $0.skipped != nil }.count
        var out = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        out += #"<testsuites name="\#(Self.escape(suiteName))" tests="\#(testCases.count)" failures="\#(failures)" time="\#(Self.time(seconds))">"# + "\n"
        out += #"  <testsuite name="\#(Self.escape(suiteName))" tests="\#(testCases.count)" failures="\#(failures)" errors="0" skipped="\#(skipped)" time="\#(Self.time(seconds))">"# + "\n"
        for c in testCases {
            let open = #"    <testcase name="\#(Self.escape(c.name))" classname="\#(Self.escape(c.className))" time="\#(Self.time(c.seconds))""#
            if let failure = c.failure {
                out += open + ">\n"
                out += #"      <failure message="\#(Self.escape(failure.message))" type="divergence">\#(Self.escape(failure.details))</failure>"# + "\n"
                out += "    </testcase>\n"
            } else if let skipped = c.skipped {
                out += open + ">\n" + #"      <skipped message="\#(Self.escape(skipped))"/>"# + "\n    </testcase>\n"
            } else {
                out += open + "/>\n"
            }
        }
        out += "  </testsuite>\n</testsuites>\n"
        return out
    }

    /// Writes the report to `path` through a temporary file renamed into place.
    /// - Throws: when the file cannot be written.
    public func write(to path: String) throws {
        let temporary = path + ".tmp-\(getpid())"
        try Data(xml.utf8).write(to: URL(fileURLWithPath: temporary))
        if rename(temporary, path) != 0 {
            let code = errno
            unlink(temporary)
            throw JUnitWriteError(path: path, reason: String(cString: strerror(code)))
        }
    }

    static func time(_ s: Double) -> String { String(format: "%.3f", s) }

    /// XML text and attribute escaping; characters XML 1.0 cannot carry become U+FFFD.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || (0xFFFE...0xFFFF).contains(scalar.value) {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}

/// The JUnit file could not be written.
public struct JUnitWriteError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "cannot write the JUnit report \(path): \(reason)" }
}
