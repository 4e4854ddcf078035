import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ProtooTestSupport

/// A bare WebSocket client for protocol probes: upgrades with a raw request, then sends any bytes
/// (masked or not, valid or not) and collects the server's frames and whether it closed TCP.
final class RawWebSocketClient: Sendable {
    struct Frame: Sendable, Equatable {
        var opcode: UInt8
        var payload: [UInt8]
        /// The last frame of its message.
        var fin = true
        /// The code of a close frame (`nil` without one).
        var closeCode: UInt16? { opcode == 0x8 && payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : nil }
    }

    private struct State {
        var bytes: [UInt8] = []
        var closed = false
    }

    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    private let state: NIOLockedValueBox<State>

    private init(group: MultiThreadedEventLoopGroup, channel: any Channel, state: NIOLockedValueBox<State>) {
        self.group = group
        self.channel = channel
        self.state = state
    }

    /// Connects to `127.0.0.1:port` and sends `request` (a valid upgrade by default); does not wait for the answer.
    static func connect(port: Int, request: String? = nil, target: String = "/?peerId=raw") async throws -> RawWebSocketClient {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let state = NIOLockedValueBox(State())
        do {
            let channel = try await ClientBootstrap(group: group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collector(state)) }
                }
                .connect(host: "127.0.0.1", port: port).get()
            let client = RawWebSocketClient(group: group, channel: channel, state: state)
            try await client.send(Array((request ?? RawTCP.upgradeRequest(port: port, target: target)).utf8))
            return client
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// Connects and waits for the server's answer to the upgrade; returns the status line.
    static func upgraded(port: Int, target: String = "/?peerId=raw") async throws -> (RawWebSocketClient, String) {
        let client = try await connect(port: port, target: target)
        _ = try await eventually { client.responseHead != nil || client.isClosed }
        return (client, client.responseHead.map { String($0.split(separator: "\r\n").first ?? "") } ?? "")
    }

    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    /// A client frame: masked with `mask` (`nil`: unmasked, which a server must refuse).
    static func frame(opcode: UInt8, payload: [UInt8], fin: Bool = true, mask: UInt32? = 0x1234_5678) -> [UInt8] {
        var out: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        let maskBit: UInt8 = mask == nil ? 0 : 0x80
        if payload.count <= 125 {
            out.append(maskBit | UInt8(payload.count))
        } else if payload.count <= 65_535 {
            out += [maskBit | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            out.append(maskBit | 127)
            out += (0..<8).reversed().map { UInt8(truncatingIfNeeded: payload.count >> ($0 * 8)) }
        }
        guard let mask else { return out + payload }
        let key = (0..<4).reversed().map { UInt8(truncatingIfNeeded: mask >> ($0 * 8)) }
        out += key
        return out + payload.enumerated().map { $0.element ^ key[$0.offset & 3] }
    }

    /// Whether the server closed the connection.
    var isClosed: Bool { state.withLockedValue { $0.closed } }

    /// The HTTP response head once it is complete.
    var responseHead: String? { Self.responseHead(in: state.withLockedValue { $0.bytes }) }

    /// The frames received after the HTTP response (complete ones only).
    var frames: [Frame] { Self.frames(in: state.withLockedValue { $0.bytes }) }

    /// The HTTP response head at the start of `bytes`, once it is complete.
    static func responseHead(in bytes: [UInt8]) -> String? {
        guard let end = headEnd(bytes) else { return nil }
        return String(decoding: bytes[..<end], as: UTF8.self)
    }

    /// The complete frames in `bytes` after the HTTP response head.
    static func frames(in bytes: [UInt8]) -> [Frame] {
        guard var i = headEnd(bytes) else { return [] }
        var frames: [Frame] = []
        while i + 2 <= bytes.count {
            var length = Int(bytes[i + 1] & 0x7F), header = 2
            if length == 126 {
                guard i + 4 <= bytes.count else { break }
                length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
                header = 4
            } else if length == 127 {
                guard i + 10 <= bytes.count else { break }
                length = bytes[(i + 2)..<(i + 10)].reduce(0) { $0 << 8 | Int($1) }
                header = 10
            }
            guard i + header + length <= bytes.count else { break }
            frames.append(Frame(opcode: bytes[i] & 0x0F, payload: Array(bytes[(i + header)..<(i + header + length)]), fin: bytes[i] & 0x80 != 0))
            i += header + length
        }
        return frames
    }

    /// Sends `text` as one masked text frame.
    func sendText(_ text: String) async throws {
        try await send(Self.frame(opcode: 0x1, payload: Array(text.utf8)))
    }

    /// Waits for a frame matching `predicate`; `nil` if none came within `timeout`.
    func waitForFrame(timeout: Duration = .seconds(20), where predicate: (Frame) -> Bool) async throws -> Frame? {
        _ = try await eventually(timeout: timeout) { frames.contains(where: predicate) }
        return frames.first(where: predicate)
    }

    /// Sends an echo request and waits for its response: the connection is open and served.
    func echoes(id: Int) async throws -> Bool {
        try await sendText("{\"request\":true,\"id\":\(id),\"method\":\"echo\",\"data\":{\"n\":\(id)}}")
        let expected = "{\"response\":true,\"id\":\(id),\"ok\":true"
        return try await waitForFrame { $0.opcode == 0x1 && String(decoding: $0.payload, as: UTF8.self).hasPrefix(expected) } != nil
    }

    /// Waits until the server closes TCP; `false` if it did not within `timeout`.
    func waitForClose(timeout: Duration = .seconds(20)) async throws -> Bool {
        try await eventually(timeout: timeout) { isClosed }
    }

    func close() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }

    static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i + 4
        }
        return nil
    }

    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let state: NIOLockedValueBox<State>
        init(_ state: NIOLockedValueBox<State>) { self.state = state }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let chunk = Array(unwrapInboundIn(data).readableBytesView)
            state.withLockedValue { $0.bytes += chunk }
        }
        func channelInactive(context: ChannelHandlerContext) {
            state.withLockedValue { $0.closed = true }
            context.fireChannelInactive()
        }
        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
