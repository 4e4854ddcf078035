import Protoo

/// Rewrites records before they are encoded: nothing a redactor removes ever touches the disk.
/// Runs on the writer's thread.
public struct TraceRedactor: Sendable {
    private let body: @Sendable (inout TraceRecord) -> Void

    /// A custom redaction.
    public init(_ body: @escaping @Sendable (inout TraceRecord) -> Void) { self.body = body }

    /// Applies the redaction to `record`.
    public func apply(_ record: inout TraceRecord) { body(&record) }

    /// Several redactions, in order.
    public static func chain(_ redactors: [TraceRedactor]) -> TraceRedactor {
        TraceRedactor { record in for r in redactors { r.apply(&record) } }
    }

    /// Removes query parameters named `names` (e.g. `token`) from connection request targets.
    public static func stripQueryParameters(_ names: Set<String>) -> TraceRedactor {
        TraceRedactor { record in
            guard case .connectionRequested(let target, let headers, let remote) = record.event else { return }
            record.event = .connectionRequested(target: URLRedaction.strip(target, names: names), headers: headers, remoteAddress: remote)
        }
    }

    /// Replaces the value of every JSON member named in `names`, at any depth, in messages in and out
    /// (e.g. `["sdp", "dtlsParameters"]`). A message that mentions a name but is not valid JSON is
    /// replaced entirely by `replacement`.
    public static func replaceJSONFields(_ names: Set<String>, with replacement: String = "[redacted]") -> TraceRedactor {
        let quoted = names.map { "\"\($0)\"" }
        return TraceRedactor { record in
            switch record.event {
            case .messageIn(let text):
                record.event = .messageIn(JSONRedaction.redact(text, names: names, quoted: quoted, replacement: replacement))
            case .messageOut(let text):
                record.event = .messageOut(JSONRedaction.redact(text, names: names, quoted: quoted, replacement: replacement))
            default:
                return
            }
        }
    }
}

/// Query-parameter removal on a request target.
enum URLRedaction {
    static func strip(_ target: String, names: Set<String>) -> String {
        guard let q = target.firstIndex(of: "?") else { return target }
        let query = target[target.index(after: q)...]
        var kept: [Substring] = []
        var removed = false
        for item in query.split(separator: "&", omittingEmptySubsequences: false) {
            let rawName = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let name = String(rawName).removingPercentEncodingLite
            if names.contains(name) { removed = true } else { kept.append(item) }
        }
        guard removed else { return target }
        let path = target[..<q]
        return kept.isEmpty ? String(path) : path + "?" + kept.joined(separator: "&")
    }
}

extension String {
    /// Percent-decoding of a query-item name, `+` as space (enough to compare names).
    var removingPercentEncodingLite: String {
        ConnectionRequest.parseTarget("?" + self + "=").query.first?.name ?? self
    }
}

/// JSON member replacement inside message text.
enum JSONRedaction {
    static func redact(_ text: String, names: Set<String>, quoted: [String], replacement: String) -> String {
        guard quoted.contains(where: { text.contains($0) }) else { return text }
        guard let value = try? JSONParser.parse(text) else { return replacement }
        return JSONWriter.string(replace(value, names: names, replacement: .string(replacement)))
    }

    static func replace(_ value: JSONValue, names: Set<String>, replacement: JSONValue) -> JSONValue {
        switch value {
        case .array(let items):
            return .array(items.map { replace($0, names: names, replacement: replacement) })
        case .object(let object):
            var result = JSONObject()
            result.reserveCapacity(object.count)
            for m in object {
                result[m.key] = names.contains(m.key) ? replacement : replace(m.value, names: names, replacement: replacement)
            }
            return .object(result)
        default:
            return value
        }
    }
}
