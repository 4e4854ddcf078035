/// One step into a JSON value: an object key or an array index.
public enum JSONPathComponent: Sendable, Hashable {
    case key(String)
    case index(Int)
}

/// A location inside a JSON value, rendered like `data.peers[0].id`.
public struct JSONPath: Sendable, Hashable, CustomStringConvertible {
    public var components: [JSONPathComponent]

    public init(_ components: [JSONPathComponent] = []) { self.components = components }

    /// The path one step further.
    public func appending(_ component: JSONPathComponent) -> JSONPath {
        var copy = self
        copy.components.append(component)
        return copy
    }

    public var description: String {
        var out = ""
        for c in components {
            switch c {
            case .key(let k): out += out.isEmpty ? k : ".\(k)"
            case .index(let i): out += "[\(i)]"
            }
        }
        return out.isEmpty ? "(root)" : out
    }
}

/// A pattern over ``JSONPath``s, as written in rules: segments separated by dots, `*` for any one
/// key or index, `**` for any number of segments; `[0]` and `[*]` are accepted for indexes.
/// Examples: `data.id`, `data.iceCandidates.*.port`, `data.rtpParameters.encodings[*].ssrc`, `data.**`.
public struct JSONPathPattern: Sendable, Hashable, CustomStringConvertible {
    enum Segment: Sendable, Hashable {
        case name(String)
        case any
        case anyDepth
    }

    let segments: [Segment]
    public let description: String
    /// The only path length that can match, when the pattern has no `**` (a quick refusal).
    let fixedLength: Int?

    /// Parses a pattern; `nil` when it is empty or has an empty segment.
    public init?(_ text: String) {
        let normalized = String(text.compactMap { c -> Character? in c == "[" ? "." : c == "]" ? nil : c })
        let parts = normalized.split(separator: ".", omittingEmptySubsequences: false)
        guard !text.isEmpty, !parts.contains(where: \.isEmpty) else { return nil }
        segments = parts.map { p in p == "*" ? .any : p == "**" ? .anyDepth : .name(String(p)) }
        description = text
        fixedLength = segments.contains(.anyDepth) ? nil : segments.count
    }

    /// The last segment when it is a plain name (`displayName` of `data.displayName`).
    public var lastName: String? {
        if case .name(let n)? = segments.last { return n }
        return nil
    }

    /// `true` when `path` matches the whole pattern.
    public func matches(_ path: JSONPath) -> Bool {
        matches(path.components[...])
    }

    /// `true` when the path made of `components` matches the whole pattern.
    public func matches(_ components: ArraySlice<JSONPathComponent>) -> Bool {
        if let fixedLength, fixedLength != components.count { return false }
        return Self.match(segments[...], components)
    }

    private static func match(_ pattern: ArraySlice<Segment>, _ path: ArraySlice<JSONPathComponent>) -> Bool {
        guard let first = pattern.first else { return path.isEmpty }
        switch first {
        case .anyDepth:
            var rest = path
            while true {
                if match(pattern.dropFirst(), rest) { return true }
                guard !rest.isEmpty else { return false }
                rest = rest.dropFirst()
            }
        case .any:
            return !path.isEmpty && match(pattern.dropFirst(), path.dropFirst())
        case .name(let name):
            guard let c = path.first else { return false }
            switch c {
            case .key(let k): guard k == name else { return false }
            case .index(let i): guard String(i) == name else { return false }
            }
            return match(pattern.dropFirst(), path.dropFirst())
        }
    }
}

