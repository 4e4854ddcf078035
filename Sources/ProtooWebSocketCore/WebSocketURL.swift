/// A parsed `ws://` / `wss://` URL.
package struct WebSocketURL: Sendable, Hashable {
    /// A text that is not a `ws://host[:port][/path][?query]` or `wss://…` URL.
    package struct Invalid: Error, Sendable {
        package var text: String
    }

    package var secure: Bool
    package var host: String
    package var port: Int
    /// Path and query, e.g. `/?peerId=a`.
    package var target: String

    package init(_ text: String) throws(WebSocketURL.Invalid) {
        let rest: Substring
        if text.hasPrefix("ws://") {
            secure = false
            rest = text.dropFirst(5)
        } else if text.hasPrefix("wss://") {
            secure = true
            rest = text.dropFirst(6)
        } else {
            throw Invalid(text: text)
        }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let pathAndQuery = rest[authorityEnd...]
        target = pathAndQuery.isEmpty ? "/" : (pathAndQuery.hasPrefix("?") ? "/" + pathAndQuery : String(pathAndQuery))
        var hostPart = authority
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw Invalid(text: text) }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { portPart = after.dropFirst() }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        }
        guard !hostPart.isEmpty else { throw Invalid(text: text) }
        host = String(hostPart)
        if let portPart {
            guard let value = Int(portPart), (1...65535).contains(value) else { throw Invalid(text: text) }
            port = value
        } else {
            port = secure ? 443 : 80
        }
    }

    /// The `Host` header value.
    package var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return (port == (secure ? 443 : 80)) ? name : "\(name):\(port)"
    }

    /// `true` when the host is an IP literal (no SNI then).
    package var hostIsIPAddress: Bool {
        host.contains(":") || host.allSatisfy { $0.isNumber || $0 == "." }
    }
}
