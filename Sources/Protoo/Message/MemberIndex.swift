/// The top-level members of a JSON object left as bytes: keys and the ranges of their values.
struct MemberIndex {
    var isObject: Bool
    var members: [(key: String, range: Range<Int>)] = []

    /// The value of the last member named `key` (`JSON.parse` keeps the last duplicate).
    func value(_ key: String, in raw: RawJSON) -> JSONValue? {
        guard isObject else { return nil }
        for m in members.reversed() where m.key == key { return raw.parse(at: m.range) }
        return nil
    }

    /// Whether the data is an object with a member named `key`.
    func contains(_ key: String) -> Bool {
        isObject && members.contains { $0.key == key }
    }
}
