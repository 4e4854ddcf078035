import Protoo

/// Where a recorded connection goes on the live server: its recorded path and query under the
/// target URL's path, with the target's query merged in.
enum LiveTarget {
    /// `base` is the target URL's path and query (`/`, `/app/?token=abc`); `recorded` the recorded
    /// connection's (`/?roomId=r&peerId=p`). A base path other than `/` is put in front of the
    /// recorded one; each query item of the base adds to the recorded query or overrides the
    /// recorded items of the same name (so a token a recording's `--record-redact` removed can be
    /// given back: `--target ws://host:port/?token=abc`).
    static func join(_ base: String, _ recorded: String) -> String {
        let (basePath, baseQuery) = split(base)
        let (recordedPath, recordedQuery) = split(recorded)
        var path = recordedPath
        if !basePath.isEmpty, basePath != "/" {
            let trimmed = basePath.hasSuffix("/") ? String(basePath.dropLast()) : basePath
            path = trimmed + (recordedPath.hasPrefix("/") ? recordedPath : "/" + recordedPath)
        }
        guard !baseQuery.isEmpty else { return recordedQuery.isEmpty ? path : path + "?" + recordedQuery.joined(separator: "&") }
        var items = recordedQuery
        for item in baseQuery {
            let name = Self.name(of: item)
            if let first = items.firstIndex(where: { Self.name(of: $0) == name }) {
                items[first] = item
                items = items.enumerated().filter { $0.offset == first || Self.name(of: $0.element) != name }.map(\.element)
            } else {
                items.append(item)
            }
        }
        return items.isEmpty ? path : path + "?" + items.joined(separator: "&")
    }

    /// Path, and the raw query items (`name=value`, still percent-encoded).
    private static func split(_ target: String) -> (path: String, query: [String]) {
        guard let q = target.firstIndex(of: "?") else { return (target, []) }
        let query = target[target.index(after: q)...].split(separator: "&").map(String.init)
        return (String(target[..<q]), query)
    }

    /// A raw query item's decoded name.
    private static func name(of item: String) -> String {
        ConnectionRequest.parseTarget("/?" + item).query.first?.name ?? item
    }
}
