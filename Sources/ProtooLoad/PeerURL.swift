/// The URL each load peer connects to.
public enum PeerURL {
    /// `base` with `peerId=<prefix><index>` appended to its query, keeping the rest (e.g. `roomId`);
    /// `base` itself when its query already has a `peerId` (then every peer uses that id, which
    /// servers that refuse duplicate ids accept for one peer only).
    public static func make(_ base: String, index: Int, prefix: String = "load-") -> String {
        if hasPeerID(base) { return base }
        let fragmentStart = base.firstIndex(of: "#") ?? base.endIndex
        let head = base[..<fragmentStart], fragment = base[fragmentStart...]
        let item = "peerId=\(prefix)\(index)"
        let joined: String
        if let question = head.firstIndex(of: "?") {
            let query = head[head.index(after: question)...]
            joined = (query.isEmpty || query.hasSuffix("&")) ? head + item : head + "&" + item
        } else if let schemeEnd = head.range(of: "://"), !head[schemeEnd.upperBound...].contains("/") {
            joined = head + "/?" + item // ws://host:port → ws://host:port/?peerId=…
        } else {
            joined = head + "?" + item
        }
        return joined + fragment
    }

    /// `true` when the URL's query has a `peerId` parameter.
    public static func hasPeerID(_ url: String) -> Bool {
        let withoutFragment = url[..<(url.firstIndex(of: "#") ?? url.endIndex)]
        guard let question = withoutFragment.firstIndex(of: "?") else { return false }
        return withoutFragment[withoutFragment.index(after: question)...]
            .split(separator: "&")
            .contains { $0.split(separator: "=", maxSplits: 1).first == "peerId" }
    }
}
