import Protoo
import ProtooWebSocketCore

/// The headers a proxied upgrade request carries upstream: the client's values of the forwarded
/// names (every value, in order) and `X-Forwarded-For` with the client's address appended.
enum ForwardedHeaders {
    static func make(for request: ConnectionRequest, names: Set<String>, addForwardedFor: Bool) -> [(name: String, value: String)] {
        var headers = request.headers.filter { names.contains($0.name.lowercased()) }
        guard addForwardedFor else { return headers }
        headers.removeAll { $0.name.lowercased() == "x-forwarded-for" }
        let earlier = request.headers.filter { $0.name.lowercased() == "x-forwarded-for" }.map(\.value)
        headers.append((name: "X-Forwarded-For", value: (earlier + [host(of: request.remoteAddress)]).joined(separator: ", ")))
        return headers
    }

    /// The IP address of a `host:port` remote address (`::1:5000` → `::1`).
    static func host(of address: String) -> String {
        guard let colon = address.lastIndex(of: ":"), address[address.index(after: colon)...].allSatisfy(\.isNumber) else { return address }
        return String(address[..<colon])
    }
}
