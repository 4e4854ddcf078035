import NIOCore

/// RFC 6455 framing, done by ``WebSocketConnection`` itself on raw bytes.
///
/// NIO's frame decoder and encoder pass every frame through the pipeline boxed in an `NIOAny` and
/// write each outgoing frame as its own buffer (often with a separate header buffer). Framing here
/// instead reads frames straight out of the bytes the socket delivered and appends outgoing frames
/// to one buffer per flush: one allocation and one iovec per batch instead of several per message.
package enum WebSocketFrameCodec {
    package enum Opcode: UInt8, Sendable {
        case continuation = 0x0, text = 0x1, binary = 0x2
        case close = 0x8, ping = 0x9, pong = 0xA
        var isControl: Bool { rawValue & 0x08 != 0 }
    }

    /// A frame header read from the wire.
    package struct Header: Sendable, Equatable {
        package var fin: Bool
        package var opcode: Opcode
        /// The masking key, big-endian as on the wire; `nil` for an unmasked frame.
        package var maskKey: UInt32?
        package var payloadLength: Int
        /// Bytes taken by the header itself (2 to 14).
        package var headerLength: Int
    }

    package enum ParseResult: Sendable, Equatable {
        /// The readable bytes do not hold a whole header yet.
        case needMoreBytes
        case header(Header)
        /// The frame breaks the protocol or a limit: close with `code`.
        case invalid(code: UInt16, reason: String)
    }

    /// Reads the header at the start of `buffer`'s readable bytes, without consuming anything.
    /// With `requireMask` (a server reading a client), an unmasked frame is invalid; with
    /// `forbidMask` (a client reading a server), a masked one is (1002, RFC 6455 §5.1).
    package static func parseHeader(_ buffer: ByteBuffer, maxFrameSize: Int, requireMask: Bool = false, forbidMask: Bool = false) -> ParseResult {
        let start = buffer.readerIndex
        guard let b0 = buffer.getInteger(at: start, as: UInt8.self),
              let b1 = buffer.getInteger(at: start + 1, as: UInt8.self) else { return .needMoreBytes }
        guard b0 & 0x70 == 0 else { return .invalid(code: 1002, reason: "reserved bits set (no extension was negotiated)") }
        guard let opcode = Opcode(rawValue: b0 & 0x0F) else { return .invalid(code: 1002, reason: "unknown opcode") }
        let fin = b0 & 0x80 != 0
        let masked = b1 & 0x80 != 0
        guard masked || !requireMask else { return .invalid(code: 1002, reason: "unmasked client frame") }
        guard !masked || !forbidMask else { return .invalid(code: 1002, reason: "masked server frame") }
        var length = Int(b1 & 0x7F)
        var offset = 2
        if length == 126 {
            guard let l = buffer.getInteger(at: start + 2, as: UInt16.self) else { return .needMoreBytes }
            length = Int(l)
            offset = 4
        } else if length == 127 {
            guard let l = buffer.getInteger(at: start + 2, as: UInt64.self) else { return .needMoreBytes }
            // RFC 6455 §5.2: the most significant bit of a 64-bit length must be 0.
            guard l & (1 << 63) == 0 else { return .invalid(code: 1002, reason: "64-bit payload length with its most significant bit set") }
            length = Int(l)
            offset = 10
        }
        if opcode.isControl {
            guard fin else { return .invalid(code: 1002, reason: "fragmented control frame") }
            guard length <= 125 else { return .invalid(code: 1002, reason: "control frame longer than 125 bytes") }
        }
        guard length <= maxFrameSize else { return .invalid(code: 1009, reason: "frame larger than \(maxFrameSize) bytes") }
        var maskKey: UInt32?
        if masked {
            guard let key = buffer.getInteger(at: start + offset, as: UInt32.self) else { return .needMoreBytes }
            maskKey = key
            offset += 4
        }
        return .header(Header(fin: fin, opcode: opcode, maskKey: maskKey, payloadLength: length, headerLength: offset))
    }

    /// XORs a whole payload with the masking key in place (masking and unmasking are the same operation).
    package static func applyMask(_ key: UInt32, to bytes: UnsafeMutableRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        let k32 = key.bigEndian  // in memory: the key's bytes in wire order
        let k64 = UInt64(k32) | (UInt64(k32) << 32)
        var i = 0
        let count = bytes.count
        while i + 8 <= count {
            let v = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            bytes.storeBytes(of: v ^ k64, toByteOffset: i, as: UInt64.self)
            i += 8
        }
        withUnsafeBytes(of: k32) { k in
            while i < count {
                bytes[i] ^= k[i & 3]
                i += 1
            }
        }
    }

    /// Appends one frame carrying `payload` to `buffer`. With `maskKey` (clients), the payload is
    /// masked as it is copied; the caller's bytes are not touched.
    package static func writeFrame(fin: Bool, opcode: Opcode, payload: UnsafeRawBufferPointer, maskKey: UInt32?,
                                   into buffer: inout ByteBuffer) {
        let count = payload.count
        buffer.reserveCapacity(minimumWritableBytes: count + 14)
        buffer.writeInteger((fin ? 0x80 : 0) | opcode.rawValue)
        let maskBit: UInt8 = maskKey == nil ? 0 : 0x80
        if count <= 125 {
            buffer.writeInteger(maskBit | UInt8(count))
        } else if count <= Int(UInt16.max) {
            buffer.writeInteger(maskBit | 126)
            buffer.writeInteger(UInt16(count))
        } else {
            buffer.writeInteger(maskBit | 127)
            buffer.writeInteger(UInt64(count))
        }
        guard let maskKey else {
            buffer.writeBytes(payload)
            return
        }
        buffer.writeInteger(maskKey)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { out in
            let target = UnsafeMutableRawBufferPointer(rebasing: out[0..<count])
            if count > 0 { target.copyMemory(from: payload) }
            applyMask(maskKey, to: target)
            return count
        }
    }

    /// Appends `text` as one text message: a single frame, or fragments of at most `fragmentSize` bytes.
    package static func writeText(_ text: String, fragmentSize: Int, maskKey: () -> UInt32?, into buffer: inout ByteBuffer) {
        var text = text
        text.withUTF8 { writeText(utf8: UnsafeRawBufferPointer($0), fragmentSize: fragmentSize, maskKey: maskKey, into: &buffer) }
    }

    /// ``writeText(_:fragmentSize:maskKey:into:)`` for a message given as its UTF-8.
    package static func writeText(utf8 raw: UnsafeRawBufferPointer, fragmentSize: Int, maskKey: () -> UInt32?, into buffer: inout ByteBuffer) {
        let size = max(1, fragmentSize)
        if raw.count <= size {
            writeFrame(fin: true, opcode: .text, payload: raw, maskKey: maskKey(), into: &buffer)
            return
        }
        var offset = 0
        var opcode = Opcode.text
        while offset < raw.count {
            let end = min(raw.count, offset + size)
            writeFrame(fin: end == raw.count, opcode: opcode, payload: UnsafeRawBufferPointer(rebasing: raw[offset..<end]),
                       maskKey: maskKey(), into: &buffer)
            opcode = .continuation
            offset = end
        }
    }
}
