import ProtooWebSocketCore

/// The URL a scenario client connects to: the server URL's scheme, host and port; the scenario
/// target's path (the URL's own when the target's is `/`); the URL's query parameters, with the
/// target's (`roomId`, `peerId`, …) set over those of the same name.
enum ScenarioTarget {
    static func url(_ base: WebSocketURL, target: String) -> WebSocketURL {
        var url = base
        url.target = merge(base: base.target, target: target)
        return url
    }

    static func merge(base: String, target: String) -> String {
        let (basePath, baseQuery) = split(base)
        let (targetPath, targetQuery) = split(target)
        let path = targetPath == "/" || targetPath.isEmpty ? (basePath.isEmpty ? "/" : basePath) : targetPath
        let setNames = Set(targetQuery.map(name))
        let query = baseQuery.filter { !setNames.contains(name($0)) } + targetQuery
        return query.isEmpty ? path : path + "?" + query.joined(separator: "&")
    }

    private static func split(_ target: String) -> (path: String, query: [String]) {
        guard let mark = target.firstIndex(of: "?") else { return (target, []) }
        let query = target[target.index(after: mark)...].split(separator: "&").map(String.init).filter { !$0.isEmpty }
        return (String(target[..<mark]), query)
    }

    private static func name(_ item: String) -> String {
        String(item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }
}
