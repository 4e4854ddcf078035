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

    /// What a redacted value is replaced with. Replay treats a recorded value equal to it as
    /// unknown: it matches any live value.
    public static let placeholder = "[redacted]"

    /// Removes the request headers named `names` (case-insensitive, e.g. `cookie`, `authorization`)
    /// from connection requests.
    public static func stripHeaders(_ names: Set<String>) -> TraceRedactor {
        let lowered = Set(names.map { $0.lowercased() })
        return TraceRedactor { record in
            guard case .connectionRequested(let target, let headers, let remote) = record.event,
                  headers.contains(where: { lowered.contains($0.name.lowercased()) }) else { return }
            record.event = .connectionRequested(target: target, headers: headers.filter { !lowered.contains($0.name.lowercased()) },
                                                remoteAddress: remote)
        }
    }

    /// Replaces the value at each JSON path of `patterns` (from the message object: `data.displayName`,
    /// `data.peers[*].displayName`, `data.**.sdp`) with ``placeholder``, in messages in and out. A
    /// message that names a redacted key but is not valid JSON is replaced entirely.
    public static func replaceJSONPaths(_ patterns: [JSONPathPattern]) -> TraceRedactor {
        let keys = patterns.compactMap(\.lastName).map { "\"\($0)\"" }
        let anyKey = patterns.contains { $0.lastName == nil }
        return TraceRedactor { record in
            switch record.event {
            case .messageIn(let text):
                record.event = .messageIn(JSONRedaction.redact(text, paths: patterns, keys: anyKey ? nil : keys))
            case .messageOut(let text):
                record.event = .messageOut(JSONRedaction.redact(text, paths: patterns, keys: anyKey ? nil : keys))
            default:
                return
            }
        }
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
    /// Replaces the values at `paths`; `keys` (quoted) is a quick filter: a message that has none
    /// of them is left alone without parsing (`nil`: always parse).
    static func redact(_ text: String, paths: [JSONPathPattern], keys: [String]?) -> String {
        if let keys, !keys.contains(where: { text.contains($0) }) { return text }
        guard let value = try? JSONParser.parse(text) else { return TraceRedactor.placeholder }
        var changed = false
        var path: [JSONPathComponent] = []
        let result = replace(value, at: &path, paths: paths, changed: &changed)
        return changed ? JSONWriter.string(result) : text
    }

    private static func replace(_ value: JSONValue, at path: inout [JSONPathComponent], paths: [JSONPathPattern],
                                changed: inout Bool) -> JSONValue {
        if !path.isEmpty, paths.contains(where: { $0.matches(path[...]) }) {
            changed = true
            return .string(TraceRedactor.placeholder)
        }
        switch value {
        case .array(let items):
            return .array(items.enumerated().map { i, item in
                path.append(.index(i))
                defer { path.removeLast() }
                return replace(item, at: &path, paths: paths, changed: &changed)
            })
        case .object(let object):
            var result = JSONObject()
            result.reserveCapacity(object.count)
            for m in object {
                path.append(.key(m.key))
                result[m.key] = replace(m.value, at: &path, paths: paths, changed: &changed)
                path.removeLast()
            }
            return .object(result)
        default:
            return value
        }
    }

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
