extension WebSocketFrameCodec {
    /// A received close frame's payload, checked (RFC 6455 §5.5.1, §7.4).
    package enum ClosePayload: Sendable, Equatable {
        /// No code (empty payload), or a code valid on the wire and a UTF-8 reason.
        case valid(code: UInt16?, reason: String)
        /// Fail the connection with `code` (1002: bad length or code, 1007: reason not UTF-8).
        case invalid(code: UInt16, reason: String)
    }

    /// Reads a close frame's (unmasked) payload.
    package static func parseClosePayload(_ data: [UInt8]) -> ClosePayload {
        guard !data.isEmpty else { return .valid(code: nil, reason: "") }
        guard data.count >= 2 else { return .invalid(code: 1002, reason: "close frame with a 1-byte payload") }
        let code = UInt16(data[0]) << 8 | UInt16(data[1])
        guard isValidCloseCode(code) else { return .invalid(code: 1002, reason: "close frame with invalid code \(code)") }
        let reason = Array(data[2...])
        guard UTF8Validation.isValid(reason) else { return .invalid(code: 1007, reason: "close reason is not valid UTF-8") }
        return .valid(code: code, reason: String(decoding: reason, as: UTF8.self))
    }

    /// Whether a peer may send `code` in a close frame: 1000–1003, 1007–1014 and 3000–4999.
    /// 1004–1006 and 1015 are reserved (never on the wire); 1016–2999 are unassigned.
    package static func isValidCloseCode(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: true
        default: false
        }
    }
}
