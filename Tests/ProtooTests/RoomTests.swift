import Testing
@testable import Protoo

@Suite struct RoomTests {
    @Test func createPeerAndLookups() throws {
        let h = EngineHarness()
        let a = try h.connect("A"), b = try h.connect("B")
        #expect(h.room.peers.map(\.id) == ["A", "B"])
        #expect(h.room.hasPeer("A"))
        #expect(h.room.peer("B") === b.server)
        #expect(h.room.peer("C") == nil)
        #expect(!a.server.isClosed)
        // In join order, without a copy: the first match wins, no match is nil.
        _ = try h.connect("C")
        #expect(h.room.firstPeer { $0.id != "A" }?.id == "B")
        #expect(h.room.firstPeer { $0.id == "C" }?.id == "C")
        #expect(h.room.firstPeer(where: \.isClosed) == nil)
    }

    @Test func duplicatePeerIdClosesNewTransportAndKeepsFirst() throws {
        let h = EngineHarness()
        let first = try h.connect("A")
        let (serverEnd, clientEnd) = MemoryTransport.pair(scheduler: h.scheduler)
        #expect(throws: RoomError.duplicatePeerID("A")) { try h.room.createPeer(id: "A", transport: serverEnd) }
        h.settle()
        #expect(serverEnd.isClosed)
        #expect(clientEnd.closeEvent?.code == CloseCode.protoo)
        #expect(h.room.peer("A") === first.server)
        #expect(!first.server.isClosed)
    }

    @Test func emptyPeerIdIsRefused() {
        let h = EngineHarness()
        let (serverEnd, _) = MemoryTransport.pair(scheduler: h.scheduler)
        #expect(throws: RoomError.invalidPeerID) { try h.room.createPeer(id: "", transport: serverEnd) }
        #expect(serverEnd.isClosed)
    }

    @Test func closedPeerLeavesAndIdCanBeReused() throws {
        let h = EngineHarness()
        let a = try h.connect("A")
        var closes = 0
        a.server.onClose { _ in closes += 1 }
        a.server.close()
        // Removed synchronously, before the transport's close is even delivered.
        #expect(!h.room.hasPeer("A"))
        let again = try h.connect("A")
        h.settle()
        #expect(h.room.peer("A") === again.server)
        #expect(closes == 1)
        #expect(a.clientTransport.closeEvent == TransportCloseEvent(code: 4000, reason: "closed by protoo-server", initiator: .remote))
    }

    @Test func roomCloseClosesEveryPeerWith4000() throws {
        let h = EngineHarness()
        let peers = try (0..<3).map { try h.connect("P\($0)") }
        var roomClosed = 0
        var clientCloses = 0
        h.room.onClose { roomClosed += 1 }
        for p in peers { p.client.onClose { _ in clientCloses += 1 } }
        h.room.close()
        h.room.close()
        h.settle()
        #expect(roomClosed == 1)
        #expect(h.room.peers.isEmpty)
        #expect(clientCloses == 3)
        for p in peers {
            #expect(p.server.isClosed)
            #expect(p.client.isClosed)
            #expect(p.clientTransport.closeEvent?.code == 4000)
        }
        let (serverEnd, _) = MemoryTransport.pair(scheduler: h.scheduler)
        #expect(throws: RoomError.roomClosed) { try h.room.createPeer(id: "late", transport: serverEnd) }
    }

    @Test func peerOnAlreadyClosedTransportClosesOnNextTurn() throws {
        let h = EngineHarness()
        let (serverEnd, _) = MemoryTransport.pair(scheduler: h.scheduler)
        serverEnd.abort()
        let peer = try h.room.createPeer(id: "X", transport: serverEnd)
        var closed = 0
        peer.onClose { _ in closed += 1 }
        #expect(peer.isClosed)
        h.settle()
        #expect(closed == 1)
        #expect(!h.room.hasPeer("X"))
    }

    @Test func closeModes() throws {
        let h = EngineHarness()
        let a = try h.connect("A"), b = try h.connect("B")
        a.server.close(.code(1000, reason: "bye"))
        b.server.close(.drop)
        h.settle()
        #expect(a.clientTransport.closeEvent == TransportCloseEvent(code: 1000, reason: "bye", initiator: .remote))
        #expect(b.clientTransport.closeEvent?.initiator == .network)
        #expect(b.clientTransport.closeEvent?.code == nil)
    }
}

@Suite struct SchedulerTests {
    @Test func runsInDeadlineThenInsertionOrder() {
        let s = VirtualScheduler()
        var order: [String] = []
        s.schedule(at: Instant(nanoseconds: 20)) { order.append("b20") }
        s.schedule(at: Instant(nanoseconds: 10)) { order.append("a10") }
        s.schedule(at: Instant(nanoseconds: 20)) { order.append("c20") }
        s.enqueue { order.append("now") }
        s.runUntilIdle()
        #expect(order == ["now", "a10", "b20", "c20"])
        #expect(s.now == Instant(nanoseconds: 20))
    }

    @Test func cancelledTimersDoNotRunAndStaleHandlesAreHarmless() {
        let s = VirtualScheduler()
        var ran: [Int] = []
        let h1 = s.schedule(after: .seconds(1)) { ran.append(1) }
        s.schedule(after: .seconds(2)) { ran.append(2) }
        h1.cancel()
        s.runUntilIdle()
        // h1's slot is now reused by a new timer; cancelling the stale handle must not touch it.
        s.schedule(after: .seconds(1)) { ran.append(3) }
        h1.cancel()
        s.runUntilIdle()
        #expect(ran == [2, 3])
    }

    @Test func shuffledSameInstantOrderIsSeeded() {
        func order(_ seed: UInt64?) -> [Int] {
            let s = VirtualScheduler(shuffleSeed: seed)
            var out: [Int] = []
            for i in 0..<20 { s.schedule(at: Instant(nanoseconds: 5)) { out.append(i) } }
            s.runUntilIdle()
            return out
        }
        #expect(order(nil) == Array(0..<20))
        #expect(order(9) == order(9))
        #expect(order(9) != Array(0..<20))
        #expect(order(9) != order(10))
    }

    /// Timers due soon and timers due late wait in different places (the near heap, the wheel's
    /// buckets, the far heap); the order must not notice. Actions schedule more actions (delays
    /// either side of the near horizon, of a bucket's width and of the wheel's span, many on the
    /// same instants) and cancel some; the run must follow a plain reference scheduler (earliest
    /// deadline, then insertion order) step for step.
    @Test(.timeLimit(.minutes(1)), arguments: [
        [0, 1, 50_000_000, 99_999_999, 100_000_000, 100_000_001, 250_000_000, 1_000_000_000, 3_000_000_000] as [Int64],
        [0, 134_217_727, 134_217_728, 134_217_729, 268_435_456, 137_438_953_471, 137_438_953_472, 137_438_953_473,
         200_000_000_000, 1_000_000_000_000, 30_000_000_000],
    ])
    func nearAndFarTimersRunInOneTotalOrder(delays: [Int64]) {
        final class Reference {
            var now: Int64 = 0
            var sequence = 0
            var pending: [(deadline: Int64, sequence: Int, id: Int)] = []
            var cancelled = Set<Int>()
            func schedule(at deadline: Int64, id: Int) {
                sequence += 1
                pending.append((max(deadline, now), sequence, id))
            }
            func next() -> Int? {
                while let i = pending.indices.min(by: { (pending[$0].deadline, pending[$0].sequence) < (pending[$1].deadline, pending[$1].sequence) }) {
                    let e = pending.remove(at: i)
                    now = e.deadline
                    if !cancelled.contains(e.id) { return e.id }
                }
                return nil
            }
        }
        func program(_ schedule: (Int64, Int) -> Void, _ cancel: (Int) -> Void, _ random: inout SeededRandom, _ id: Int, _ nextID: inout Int) {
            for _ in 0..<Int(random.next(upperBound: UInt64(3))) where nextID < 4_000 {
                let delay = random.next(upperBound: UInt64(2)) == 0 ? delays[Int(random.next(upperBound: UInt64(delays.count)))]
                    : Int64(random.next(upperBound: UInt64(max(3_000_000_000, delays.max()! / 2))))
                schedule(delay, nextID)
                nextID += 1
            }
            if random.next(upperBound: UInt64(5)) == 0, nextID > 1 { cancel(Int(random.next(upperBound: UInt64(nextID)))) }
        }

        // The scheduler under test.
        let s = VirtualScheduler()
        var random = SeededRandom(seed: 77)
        var nextID = 0
        var handles: [Int: TimerHandle] = [:]
        var ran: [Int] = []
        func scheduleReal(_ delay: Int64, _ id: Int) {
            handles[id] = s.schedule(at: Instant(nanoseconds: s.now.nanoseconds + delay)) {
                ran.append(id)
                program(scheduleReal, { handles[$0]?.cancel() }, &random, id, &nextID)
            }
        }
        for _ in 0..<50 { scheduleReal(Int64(random.next(upperBound: UInt64(2_000_000_000))), nextID); nextID += 1 }
        s.runUntilIdle()

        // The reference, driven by the same decisions.
        let r = Reference()
        var refRandom = SeededRandom(seed: 77)
        var refNextID = 0
        var expected: [Int] = []
        for _ in 0..<50 { r.schedule(at: Int64(refRandom.next(upperBound: UInt64(2_000_000_000))), id: refNextID); refNextID += 1 }
        while let id = r.next() {
            expected.append(id)
            program({ r.schedule(at: r.now + $0, id: $1) }, { r.cancelled.insert($0) }, &refRandom, id, &refNextID)
        }
        #expect(ran.count > 1_000)
        let firstDifference = zip(ran, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(firstDifference == nil && ran.count == expected.count,
                "order differs from the reference at step \(firstDifference ?? min(ran.count, expected.count)) of \(expected.count)")
    }

    /// `spacing` 1 keeps every timer in the near heap; 60 ms spreads them over 300 s, through the
    /// wheel's buckets and past its span into the far heap.
    @Test(.timeLimit(.minutes(1)), arguments: [Int64(1), 60_000_000])
    func cancelledTimersAreCompactedAwayWithoutChangingTheOrder(spacing: Int64) {
        // 20,000 timers, three in four cancelled (like answered requests' timeouts): the heap is
        // compacted while timers are still being added, and the survivors run exactly as in a
        // scheduler that never cancels anything, in deadline-then-insertion order.
        let s = VirtualScheduler()
        var ran: [Int] = []
        var expected: [(deadline: Int64, index: Int)] = []
        var handles: [TimerHandle] = []
        var peak = 0
        for i in 0..<20_000 {
            let deadline = Int64((i * 7_919) % 5_000) * spacing
            let h = s.schedule(at: Instant(nanoseconds: deadline)) { ran.append(i) }
            if i % 4 == 0 { expected.append((deadline, i)) } else { handles.append(h) }
            if handles.count == 64 {
                handles.forEach { $0.cancel() }
                handles.removeAll()
            }
            peak = max(peak, s.pendingCount)
        }
        handles.forEach { $0.cancel() }
        // Without compaction all 20,000 would wait; with it, cancelled ones never outnumber the
        // 5,000 live ones by more than the slack (2,048) and one batch of cancellations.
        #expect(peak <= 2 * 5_000 + 2_048 + 64, "cancelled entries were not dropped: \(peak) pending at the peak")
        #expect(s.pendingCount <= 2 * 5_000 + 2_048 + 64)
        s.runUntilIdle()
        let order = expected.sorted { ($0.deadline, $0.index) < ($1.deadline, $1.index) }.map(\.index)
        #expect(ran == order)
        #expect(s.pendingCount == 0)
    }

    @Test func stepThroughRunsOneDueActionAndLeavesTimeAloneOtherwise() {
        let s = VirtualScheduler()
        var ran: [Int] = []
        let cancelled = s.schedule(at: Instant(nanoseconds: 5)) { ran.append(0) }
        s.schedule(at: Instant(nanoseconds: 10)) { ran.append(1) }
        s.schedule(at: Instant(nanoseconds: 10)) { ran.append(2) }
        s.schedule(at: Instant(nanoseconds: 30)) { ran.append(3) }
        cancelled.cancel()
        #expect(!s.step(through: Instant(nanoseconds: 9)))
        #expect(s.now == .zero && ran.isEmpty)
        #expect(s.step(through: Instant(nanoseconds: 10)))
        #expect(ran == [1] && s.now == Instant(nanoseconds: 10))
        #expect(s.step(through: Instant(nanoseconds: 10)))
        #expect(!s.step(through: Instant(nanoseconds: 29)))
        #expect(ran == [1, 2] && s.now == Instant(nanoseconds: 10))
        #expect(s.step(through: Instant(nanoseconds: 30)))
        #expect(ran == [1, 2, 3] && s.pendingCount == 0)
    }

    @Test func advanceMovesTimeEvenWhenIdle() {
        let s = VirtualScheduler()
        s.advance(by: .milliseconds(1500))
        #expect(s.now == Instant(nanoseconds: 1_500_000_000))
    }
}

@Suite struct BroadcastTests {
    @Test func broadcastSendsTheSameTextToEveryPeerButTheExcluded() throws {
        let h = EngineHarness()
        let peers = try (0..<3).map { try h.connect("P\($0)") }
        var received: [String: [String]] = [:]
        for p in peers { p.client.onNotification { n in received[p.server.id, default: []].append(JSONWriter.string(n.data)) } }
        h.room.broadcast("activeSpeaker", ["peerId": "P1", "volume": -40], except: peers[1].server)
        h.settle()
        #expect(received["P0"] == [#"{"peerId":"P1","volume":-40}"#])
        #expect(received["P1"] == nil)
        #expect(received["P2"] == [#"{"peerId":"P1","volume":-40}"#])
        let text = try #require((peers[0].server.transport as? MemoryTransport)?.sent.last)
        #expect(text == Message.notification(method: "activeSpeaker", data: ["peerId": "P1", "volume": -40]).encode())
    }

    @Test func encodedNotificationOnAClosedPeerIsDropped() throws {
        let h = EngineHarness()
        let a = try h.connect("A")
        a.server.close()
        a.server.notify(EncodedNotification("x"))
        h.settle()
        #expect((a.server.transport as? MemoryTransport)?.sent.isEmpty == true)
    }
}

/// Timer targets on any scheduler: the virtual one natively, others through the default closure.
@Suite struct TimerTargetTests {
    /// A scheduler with only the closure API, so `schedule(at:target:tag:)` is the default one.
    final class ClosureOnlyScheduler: Scheduler {
        let inner = VirtualScheduler()
        var now: Instant { inner.now }
        func schedule(at deadline: Instant, _ action: @escaping () -> Void) -> TimerHandle { inner.schedule(at: deadline, action) }
        func enqueue(_ action: @escaping () -> Void) { inner.enqueue(action) }
    }

    final class Recorder: TimerTarget {
        var fired: [(tag: Int, at: Instant)] = []
        let clock: () -> Instant
        init(clock: @escaping () -> Instant) { self.clock = clock }
        func timerFired(_ tag: Int) { fired.append((tag, clock())) }
    }

    @Test func targetsFireWithTheirTagsAndCancel() {
        let closureOnly = ClosureOnlyScheduler()
        let virtual = VirtualScheduler()
        for (scheduler, run) in [(closureOnly as any Scheduler, { closureOnly.inner.run(until: .zero + .seconds(10)) }),
                                 (virtual as any Scheduler, { virtual.run(until: .zero + .seconds(10)) })] {
            let r = Recorder { scheduler.now }
            scheduler.schedule(after: .seconds(2), target: r, tag: 7)
            let cancelled = scheduler.schedule(after: .seconds(1), target: r, tag: 8)
            scheduler.schedule(at: .zero + .seconds(3), target: r, tag: 9)
            cancelled.cancel()
            run()
            #expect(r.fired.map(\.tag) == [7, 9])
            #expect(r.fired.map(\.at) == [.zero + .seconds(2), .zero + .seconds(3)])
        }
    }
}
