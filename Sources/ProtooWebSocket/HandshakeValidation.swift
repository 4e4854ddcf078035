import NIOHTTP1

/// RFC 6455 §4.2.1 checks on an upgrade request that NIO's upgrader leaves to us.
enum HandshakeValidation {
    /// Why the request is not a valid WebSocket opening handshake (answered 400), or `nil`.
    static func problem(with head: HTTPRequestHead) -> String? {
        guard head.method == .GET else { return "WebSocket upgrade must use GET (got \(head.method.rawValue))" }
        let keys = head.headers[canonicalForm: "sec-websocket-key"]
        guard keys.count == 1, isValidKey(keys[0]) else { return "Sec-WebSocket-Key must be 16 bytes in base64" }
        return nil
    }

    /// Whether `key` is base64 of exactly 16 bytes: 22 base64 characters and `==`.
    static func isValidKey<S: StringProtocol>(_ key: S) -> Bool {
        let utf8 = Array(key.utf8)
        guard utf8.count == 24, utf8[22] == UInt8(ascii: "="), utf8[23] == UInt8(ascii: "=") else { return false }
        return utf8[..<22].allSatisfy { c in
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "+"), UInt8(ascii: "/"): true
            default: false
            }
        }
    }
}
