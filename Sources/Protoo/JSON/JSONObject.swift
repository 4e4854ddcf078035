/// A JSON object that keeps its keys in insertion order, so re-encoding gives the same text.
///
/// Lookup is a linear scan, which beats hashing for the small objects protoo carries.
/// Equality ignores key order (two objects with the same members are equal).
public struct JSONObject: Sendable, Hashable, RandomAccessCollection {
    public struct Member: Sendable, Hashable {
        public var key: String
        public var value: JSONValue
    }

    @usableFromInline var members: [Member]

    public init() { members = [] }

    public init(_ pairs: [(String, JSONValue)]) {
        members = []
        members.reserveCapacity(pairs.count)
        for (k, v) in pairs { self[k] = v }
    }

    public var startIndex: Int { members.startIndex }
    public var endIndex: Int { members.endIndex }
    public subscript(position: Int) -> Member { members[position] }

    public var keys: [String] { members.map(\.key) }

    public mutating func reserveCapacity(_ n: Int) { members.reserveCapacity(n) }

    /// The value for `key`; setting `nil` removes the member, setting a new key appends it.
    public subscript(key: String) -> JSONValue? {
        get {
            for m in members where m.key == key { return m.value }
            return nil
        }
        set {
            if let i = members.firstIndex(where: { $0.key == key }) {
                if let newValue { members[i].value = newValue } else { members.remove(at: i) }
            } else if let newValue {
                members.append(Member(key: key, value: newValue))
            }
        }
    }

    /// The parser's insert: like `JSON.parse`, a duplicate key keeps the first position and the last value.
    @usableFromInline mutating func setParsed(_ key: String, _ value: JSONValue) {
        // One allocation for typical objects, none for `{}`.
        if members.isEmpty { members.reserveCapacity(6) }
        // JSON.parse keeps the last duplicate but at the first one's position.
        if members.count < 16 {
            for i in members.indices where members[i].key == key {
                members[i].value = value
                return
            }
            members.append(Member(key: key, value: value))
        } else {
            self[key] = value
        }
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.members.count == rhs.members.count else { return false }
        for m in lhs.members {
            guard let other = rhs[m.key], other == m.value else { return false }
        }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        // Order-independent: combine per-member hashes commutatively.
        var acc = 0
        for m in members {
            var h = Hasher()
            h.combine(m.key)
            h.combine(m.value)
            acc ^= h.finalize()
        }
        hasher.combine(members.count)
        hasher.combine(acc)
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }
}
