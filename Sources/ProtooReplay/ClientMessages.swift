import Protoo

/// What both replays (in-process and live) do with a recorded client message before sending it.
package enum ClientMessages {
    /// Adds every string of the message's `data`, at any depth, to `values` (the values a client
    /// sent: at a capture path they are compared, not captured).
    package static func noteStrings(of text: String, into values: inout Set<String>) {
        guard let value = try? JSONParser.parse(text), let data = value["data"] else { return }
        func walk(_ v: JSONValue) {
            switch v {
            case .string(let s): values.insert(s)
            case .array(let items): items.forEach(walk)
            case .object(let members): for m in members { walk(m.value) }
            default: break
            }
        }
        walk(data)
    }

    /// The message as the live server must see it: learned substitutions applied and, for an
    /// answer to a server request, the live request id.
    package static func live(_ text: String, id: RequestID?, substitutions: Substitutions) -> String {
        guard !substitutions.isEmpty || id != nil else { return text }
        guard var value = try? JSONParser.parse(text) else { return text }
        var changed = false
        value = substitutions.apply(value, changed: &changed)
        if let id, value["id"] != .int(Int64(id)) {
            value["id"] = .int(Int64(id))
            changed = true
        }
        return changed ? JSONWriter.string(value) : text
    }
}
