import Foundation
import Logging
import NIOCore
import NIOEmbedded
import Protoo
import ProtooApps
import ProtooTestSupport
@testable import ProtooWebSocket
@testable import ProtooWebSocketCore
import Testing

/// Every deadline of the server's connections on virtual time (``VirtualServer``): each fires at
/// its instant to the nanosecond, and not one nanosecond before.
@Suite struct HandshakeDeadlineTests {
    static let nanosecond = Duration.nanoseconds(1)

    @Test func silentAndHalfSentHandshakesAreClosedAtTheDeadlineWithoutAnAnswer() throws {
        let server = VirtualServer { $0.handshakeTimeout = .seconds(10) }
        let silent = try server.connect()
        let halfSent = try server.connect()
        try halfSent.send("GET /?peerId=slow HT")
        server.advance(by: .seconds(10) - Self.nanosecond)
        #expect(silent.isOpen)
        #expect(halfSent.isOpen)
        server.advance(by: Self.nanosecond)
        #expect(!silent.isOpen)
        #expect(!halfSent.isOpen)
        #expect(silent.bytes.isEmpty, "closed without an answer")
    }

    @Test func eachConnectionHasItsOwnDeadlineFromItsAccept() throws {
        let server = VirtualServer { $0.handshakeTimeout = .seconds(10) }
        let first = try server.connect()
        server.advance(by: .seconds(4))
        let second = try server.connect()
        server.advance(by: .seconds(6))
        #expect(!first.isOpen)
        #expect(second.isOpen)
        server.advance(by: .seconds(4) - Self.nanosecond)
        #expect(second.isOpen)
        server.advance(by: Self.nanosecond)
        #expect(!second.isOpen)
    }

    @Test func anUpgradeJustBeforeTheDeadlineIsPastIt() throws {
        let server = VirtualServer {
            $0.handshakeTimeout = .seconds(10)
            $0.limits.keepAliveInterval = nil
        }
        let a = try server.connect()
        server.advance(by: .seconds(10) - Self.nanosecond)
        try a.send(RawTCP.upgradeRequest(port: 40_000, target: "/?peerId=a"))
        #expect(a.statusLine == "HTTP/1.1 101 Switching Protocols")
        server.advance(by: .seconds(3600))
        #expect(a.isOpen)
        #expect(try a.echoes(id: 1))
    }

    @Test func pastThePendingHandshakeCapNewConnectionsAreRefusedUntilOneEnds() throws {
        let server = VirtualServer {
            $0.handshakeTimeout = .seconds(10)
            $0.maxPendingHandshakes = 2
        }
        let first = try server.connect()
        server.advance(by: .seconds(5))
        let second = try server.connect()
        #expect(throws: ConnectionRefusedAtAccept.self) { try server.connect() }
        // An upgrade ends its handshake: room for one more.
        try first.send(RawTCP.upgradeRequest(port: 40_000, target: "/?peerId=first"))
        #expect(first.statusLine == "HTTP/1.1 101 Switching Protocols")
        let third = try server.connect()
        #expect(throws: ConnectionRefusedAtAccept.self) { try server.connect() }
        // So does the deadline (10 s after they were accepted, at 5 s).
        server.advance(by: .seconds(10) - Self.nanosecond)
        #expect(second.isOpen && third.isOpen)
        #expect(throws: ConnectionRefusedAtAccept.self) { try server.connect() }
        server.advance(by: Self.nanosecond)
        #expect(!second.isOpen && !third.isOpen)
        _ = try server.connect()
        _ = try server.connect()
        #expect(throws: ConnectionRefusedAtAccept.self) { try server.connect() }
    }
}

/// Keep-alive on virtual time: a ping after the interval without traffic, a drop (no close frame)
/// when nothing answers it within the timeout.
@Suite struct KeepAliveTests {
    static let nanosecond = Duration.nanoseconds(1)

    static func server(tap: RecordingTap? = nil) -> VirtualServer {
        VirtualServer {
            $0.limits.keepAliveInterval = .seconds(60)
            $0.limits.keepAliveTimeout = .seconds(10)
            $0.handshakeTimeout = .seconds(3600)
            $0.trafficTap = tap
        }
    }

    static func pings(_ connection: VirtualConnection) -> [RawWebSocketClient.Frame] { connection.frames.filter { $0.opcode == 0x9 } }

    @Test func aSilentConnectionIsPingedAfterTheIntervalAndDroppedAfterTheTimeout() throws {
        let tap = RecordingTap()
        let server = Self.server(tap: tap)
        let silent = try server.upgraded("/?peerId=silent")
        server.advance(by: .seconds(60) - Self.nanosecond)
        #expect(silent.frames.isEmpty, "pinged before the interval")
        server.advance(by: Self.nanosecond)
        #expect(silent.frames.map(\.opcode) == [0x9])
        server.advance(by: .seconds(10) - Self.nanosecond)
        #expect(silent.isOpen, "dropped before the timeout")
        server.advance(by: Self.nanosecond)
        #expect(!silent.isOpen)
        #expect(silent.frames.map(\.opcode) == [0x9], "dropped without a close frame")
        #expect(tap.entries.last == "closed 1 none network")
        // The peer left the room with its connection.
        #expect(server.withApp { ($0 as? ConformanceApp)?.rooms.values.allSatisfy { $0.peers.isEmpty } } == true)
    }

    @Test func aClientThatAnswersPingsStaysThroughManyRounds() throws {
        let server = Self.server()
        let a = try server.upgraded("/?peerId=a")
        for round in 1...5 {
            // A round: the interval of silence, the ping, its pong at once, the timeout passing.
            server.advance(by: .seconds(60))
            let pings = Self.pings(a)
            #expect(pings.count == round)
            let ping = try #require(pings.last)
            try a.send(RawWebSocketClient.frame(opcode: 0xA, payload: ping.payload))
            server.advance(by: .seconds(10))
            #expect(a.isOpen, "round \(round)")
        }
        #expect(try a.echoes(id: 1))
    }

    @Test func anyTrafficFromTheClientPutsThePingOff() throws {
        let server = Self.server()
        let a = try server.upgraded("/?peerId=a")
        server.advance(by: .seconds(59))
        #expect(try a.echoes(id: 1))
        // The check at 60 s finds traffic since the last one: no ping, the next check 60 s later.
        server.advance(by: .seconds(61) - Self.nanosecond)
        #expect(Self.pings(a).isEmpty)
        server.advance(by: Self.nanosecond)
        #expect(Self.pings(a).count == 1)
        // Any frame answers a ping, not only its pong.
        server.advance(by: .seconds(9))
        #expect(try a.echoes(id: 2))
        server.advance(by: .seconds(1))
        #expect(a.isOpen)
    }

    @Test func aPongWithTheWrongPayloadStillCountsAsTraffic() throws {
        let server = Self.server()
        let a = try server.upgraded("/?peerId=a")
        server.advance(by: .seconds(60))
        #expect(Self.pings(a).count == 1)
        try a.send(RawWebSocketClient.frame(opcode: 0xA, payload: Array("unsolicited".utf8)))
        server.advance(by: .seconds(10))
        #expect(a.isOpen)
    }
}

/// Connection decisions taken after `handleConnection` returned (`request.deferDecision()`), on
/// virtual time: the upgrade is answered when the app decides, and not before; a decision after
/// the handshake deadline is too late.
@Suite struct DeferredDecisionDeadlineTests {
    static let nanosecond = Duration.nanoseconds(1)

    @Test func anAcceptTakenLaterAnswersTheUpgradeThenAndNotBefore() throws {
        let server = VirtualServer(app: { LaterApp(context: $0, decision: .accept, delay: .milliseconds(150)) })
        let a = try server.connect()
        try a.send(RawTCP.upgradeRequest(port: 40_000, target: "/?peerId=a"))
        server.advance(by: .milliseconds(150) - Self.nanosecond)
        #expect(a.bytes.isEmpty, "the upgrade was answered before the app decided")
        server.advance(by: Self.nanosecond)
        #expect(a.statusLine == "HTTP/1.1 101 Switching Protocols")
        #expect(try a.echoes(id: 1))
        #expect(server.withApp { ($0 as? LaterApp)?.lateAcceptClosed } == false)
    }

    @Test func aRejectTakenLaterAnswersItsStatusAndReasonThen() throws {
        let server = VirtualServer(app: { LaterApp(context: $0, decision: .reject(status: 401, reason: "decided later"), delay: .milliseconds(100)) })
        let a = try server.connect()
        try a.send(RawTCP.upgradeRequest(port: 40_000, target: "/?peerId=a"))
        server.advance(by: .milliseconds(100) - Self.nanosecond)
        #expect(a.bytes.isEmpty)
        #expect(a.isOpen)
        server.advance(by: Self.nanosecond)
        #expect(a.statusLine == "HTTP/1.1 401 Unauthorized")
        #expect(a.responseHead?.contains("X-WebSocket-Reject-Reason: decided later") == true)
        #expect(!a.isOpen, "closed after the answer")
    }

    @Test func aDecisionPastTheHandshakeDeadlineIsIgnored() throws {
        let server = VirtualServer(app: { LaterApp(context: $0, decision: .accept, delay: .seconds(3)) }) { $0.handshakeTimeout = .seconds(1) }
        let a = try server.connect()
        try a.send(RawTCP.upgradeRequest(port: 40_000, target: "/?peerId=a"))
        server.advance(by: .seconds(1) - Self.nanosecond)
        #expect(a.isOpen)
        server.advance(by: Self.nanosecond)
        // Closed by the handshake deadline, not answered: no response at all.
        #expect(!a.isOpen)
        #expect(a.bytes.isEmpty, "no answer was due")
        #expect(server.withApp { ($0 as? LaterApp)?.lateAcceptClosed } == nil)
        server.advance(by: .seconds(2))
        #expect(server.withApp { ($0 as? LaterApp)?.lateAcceptClosed } == true, "the late accept got a closed transport")
    }

    @Test func anUndecidedConnectionIsAnswered500AtOnceAndALateAcceptGetsAClosedTransport() throws {
        let server = VirtualServer(app: { DeferringApp(context: $0) })
        let a = try server.connect()
        try a.send(RawTCP.upgradeRequest(port: 40_000, target: "/?peerId=a"))
        #expect(a.statusLine == "HTTP/1.1 500 Internal Server Error")
        #expect(!a.isOpen)
        #expect(server.withApp { ($0 as? DeferringApp)?.lateTransportClosed } == true)
    }
}

/// The listening channel's answer to `accept()` failing (out of file descriptors): accepting
/// pauses for the retry delay instead of spinning, and the failures are logged once, then counted.
@Suite struct AcceptErrorTests {
    static func accepting(_ channel: EmbeddedChannel) -> Bool? {
        channel.options.last { $0.option is ChannelOptions.Types.AutoReadOption }?.value as? Bool
    }

    @Test func acceptFailuresPauseAcceptingForTheRetryDelay() throws {
        let capture = LogCapture()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(AcceptErrorHandler(logger: capture.logger(level: .info), retryDelay: .milliseconds(500)))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        let emfile = IOError(errnoCode: EMFILE, reason: "accept")
        channel.pipeline.fireErrorCaught(emfile)
        #expect(Self.accepting(channel) == false, "accepting goes on after a failure: a busy loop")
        // More failures while paused (connections accepted in the same wake-up) neither re-arm nor log.
        for _ in 0..<1000 { channel.pipeline.fireErrorCaught(emfile) }
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(500) - .nanoseconds(1))
        #expect(Self.accepting(channel) == false, "resumed before the retry delay")
        channel.embeddedEventLoop.advanceTime(by: .nanoseconds(1))
        #expect(Self.accepting(channel) == true)
        #expect(capture.lines(containing: "accepting connections failed").count == 1)
        // The next line, 10 s later, counts the failures since the last one.
        channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        channel.pipeline.fireErrorCaught(emfile)
        #expect(Self.accepting(channel) == false)
        let lines = capture.lines(containing: "accepting connections failed")
        #expect(lines.count == 2)
        #expect(lines.last?.metadata["failuresSinceLastLine"] == "1000")
        _ = try channel.finish()
    }
}

/// A connection whose socket holds unsent bytes that do not drain (its remote does not read) is
/// dropped after the outbound stall timeout, on virtual time; bytes that drain start the clock again.
@Suite struct OutboundStallTests {
    /// Holds every flush back while `holding`: what was written stays in the channel, unsent, as
    /// in the socket of a remote that does not read.
    final class HeldFlushes: ChannelOutboundHandler {
        typealias OutboundIn = NIOAny
        var holding = true
        func flush(context: ChannelHandlerContext) {
            if !holding { context.flush() }
        }
    }

    static func connection() throws -> (EmbeddedChannel, WebSocketConnection, WebSocketFrameCodecTests.Recorder, HeldFlushes) {
        let channel = EmbeddedChannel()
        var limits = WebSocketLimits()
        limits.keepAliveInterval = nil
        limits.outboundStallTimeout = .seconds(30)
        let connection = WebSocketConnection(role: .server, limits: limits, eventLoop: channel.embeddedEventLoop, logger: Harness.quietLogger)
        let recorder = WebSocketFrameCodecTests.Recorder()
        connection.delegate = recorder
        let held = HeldFlushes()
        try channel.pipeline.syncOperations.addHandler(held)
        try channel.pipeline.syncOperations.addHandler(connection)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, connection, recorder, held)
    }

    @Test func unsentBytesThatDoNotDrainDropTheConnectionAtTheStallTimeout() throws {
        let (channel, connection, recorder, _) = try Self.connection()
        connection.send("{\"notification\":true,\"method\":\"n\",\"data\":{}}")
        channel.embeddedEventLoop.run()
        channel.embeddedEventLoop.advanceTime(by: .seconds(30) - .nanoseconds(1))
        #expect(channel.isActive, "dropped before the stall timeout")
        #expect(recorder.closes.isEmpty)
        channel.embeddedEventLoop.advanceTime(by: .nanoseconds(1))
        #expect(!channel.isActive)
        #expect(recorder.closes == [TransportCloseEvent(code: nil, reason: "remote side not reading", initiator: .network)])
    }

    @Test func bytesThatDrainStartTheClockAgain() throws {
        let (channel, connection, recorder, held) = try Self.connection()
        connection.send("{\"notification\":true,\"method\":\"n\",\"data\":{}}")
        channel.embeddedEventLoop.run()
        channel.embeddedEventLoop.advanceTime(by: .seconds(20))
        // The remote reads after all: everything drains.
        held.holding = false
        channel.flush()
        held.holding = true
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        // At 21 s the remote stops reading again: 30 s from now, not from the first write.
        connection.send("{\"notification\":true,\"method\":\"n\",\"data\":{}}")
        channel.embeddedEventLoop.run()
        channel.embeddedEventLoop.advanceTime(by: .seconds(30) - .nanoseconds(1))
        #expect(channel.isActive, "the drain did not start the clock again")
        channel.embeddedEventLoop.advanceTime(by: .nanoseconds(1))
        #expect(!channel.isActive)
        #expect(recorder.closes.map(\.reason) == ["remote side not reading"])
    }
}
