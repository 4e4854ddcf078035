import Protoo
import ProtooTrace

/// A recorded client-side event waiting for its instant.
struct PendingInput {
    /// Indirect: an input is then four words, cheap to copy and swap while the queue is sorted.
    indirect enum Kind {
        case connect(target: String, headers: [TraceHeaderField], remoteAddress: String)
        case message(String)
        case clientClose(TransportCloseEvent)
        /// A recorded server close, performed by the replayer if the app has not closed by then.
        case serverClose(code: UInt16?, reason: String)
        /// The recorded answer to a server request, with the live id.
        case response(String, liveID: RequestID)
    }

    var time: Int64
    /// The record's position in the trace: orders inputs of the same instant as recorded.
    var sequence: Int
    var connection: ReplayConnection
    var kind: Kind
}

extension Replayer {
    /// Queues an input in (time, sequence) order. Records come nearly sorted, so most inputs go
    /// last; a response scheduled after its recorded delay may land among many later inputs.
    func enqueueInput(_ input: PendingInput) {
        inputsQueued += 1
        // Find the place by binary search over the keys in place (no copy of an input per step),
        // then insert once (a memory move, not a swap per step).
        let time = input.time, sequence = input.sequence
        var i = inputs.count
        let head = inputHead
        inputs.withUnsafeBufferPointer { b in
            guard i > head, (b[i - 1].time, b[i - 1].sequence) > (time, sequence) else { return }
            // The first position in head..<count whose key is greater.
            var low = head, high = i - 1
            while low < high {
                let mid = (low + high) / 2
                if (b[mid].time, b[mid].sequence) > (time, sequence) { high = mid } else { low = mid + 1 }
            }
            i = low
        }
        if i == inputs.count { inputs.append(input) } else { inputs.insert(input, at: i) }
        schedulePump()
    }

    /// One scheduled action feeds one input, then schedules the next: whatever an input makes the
    /// app enqueue runs before the next input of the same instant.
    ///
    /// At most one pump is live. An input queued before the pending pump's instant posts an earlier
    /// pump and retires the later one: each pump carries a generation as its tag, and a pump whose
    /// generation is not the current one does nothing when it fires (it does not post another).
    func schedulePump() {
        guard inputHead < inputs.count else { return }
        let t = inputs[inputHead].time
        if let at = pumpAt, at <= t { return }
        pumpAt = t
        pumpGeneration &+= 1
        // A target, not a closure: no allocation per input.
        scheduler.post(at: Instant(nanoseconds: t), target: pumpTimer, tag: pumpGeneration)
    }

    func pump(generation: Int) {
        pumpsRun += 1
        guard generation == pumpGeneration else { return }  // retired by an earlier pump
        pumpAt = nil
        if inputHead < inputs.count, inputs[inputHead].time <= scheduler.now.nanoseconds {
            let input = inputs[inputHead]
            inputHead += 1
            if inputHead > 4096, inputHead * 2 > inputs.count {
                inputs.removeFirst(inputHead)
                inputHead = 0
            }
            feed(input)
        }
        schedulePump()
    }

    private func feed(_ input: PendingInput) {
        let conn = input.connection
        let now = scheduler.now.nanoseconds
        switch input.kind {
        case .connect(let target, let headers, let remoteAddress):
            inputCount += 1
            history.add(now, conn.id, "connect", target)
            let (path, query) = ConnectionRequest.parseTarget(target)
            if hasCaptureRules { for (_, value) in query { clientValues.insert(value) } }
            let request = ConnectionRequest(
                path: path, query: query, headers: headers.map { ($0.name, $0.value) }, remoteAddress: remoteAddress,
                accept: { [unowned self, unowned conn] in
                    conn.state = .open
                    self.liveOutput(conn, .accepted)
                    return conn
                },
                reject: { [unowned self, unowned conn] status, reason in
                    conn.state = .rejected
                    self.liveOutput(conn, .rejected(status: status, reason: reason))
                })
            app.handleConnection(request)
            // A deferred decision comes later on the replay's clock (or never: then the recorded
            // answer is reported missing).
            if request.decision == nil, !request.isDeferred { request.reject(status: 500, reason: "connection request not handled") }
        case .message(let text):
            guard conn.state == .open else { return }
            inputCount += 1
            noteClientValues(text)
            let live = clientText(text, id: nil)
            history.add(now, conn.id, "in ", live)
            conn.receive(live)
        case .clientClose(let event):
            guard conn.state == .open else { return }
            inputCount += 1
            history.add(now, conn.id, "in ", "close code=\(event.code.map(String.init) ?? "none") by \(event.initiator == .network ? "network" : "client")")
            conn.closeFromClient(event)
        case .response(let text, let liveID):
            guard conn.state == .open else { return }
            inputCount += 1
            noteClientValues(text)
            let live = clientText(text, id: liveID)
            history.add(now, conn.id, "in ", live)
            conn.receive(live)
        case .serverClose(let code, let reason):
            guard conn.state == .open else { return }
            replayerCloses += 1
            history.add(now, conn.id, "replayer", "server close code=\(code.map(String.init) ?? "none") (the app had not closed)")
            if let code { conn.close(code: code, reason: reason) } else { conn.abort() }
        }
    }

    /// Schedules the recorded answer to a server request once both the live and the recorded
    /// request are known: after the recorded delay, with the live id.
    func scheduleResponse(_ pair: ServerRequestPair, on conn: ReplayConnection) {
        guard !pair.scheduled, let recorded = pair.recorded, let live = pair.live, let response = pair.response else { return }
        pair.scheduled = true
        let at = max(scheduler.now.nanoseconds, live.time &+ (response.time &- recorded.time))
        enqueueInput(PendingInput(time: at, sequence: response.sequence, connection: conn, kind: .response(response.text, liveID: live.id)))
    }

    /// Whether any rule captures values (then what clients send is remembered).
    var hasCaptureRules: Bool { !options.rules.capture.isEmpty }

    /// Remembers the strings of a recorded client message (its `data`'s, at any depth).
    func noteClientValues(_ text: String) {
        guard hasCaptureRules else { return }
        ClientMessages.noteStrings(of: text, into: &clientValues)
    }

    /// A recorded client message as the live server must see it (see ``ClientMessages/live(_:id:substitutions:)``).
    func clientText(_ text: String, id: RequestID?) -> String {
        ClientMessages.live(text, id: id, substitutions: substitutions)
    }
}

/// Runs the replayer's pump when the scheduler fires it (scheduled as a target: no closure per input).
final class PumpTimer: TimerTarget {
    /// Unretained, and used at +0 (no retain and release per input): the replayer owns the
    /// scheduler that holds this timer. Set once, right after the replayer is initialized.
    unowned var replayer: Replayer?
    func timerFired(_ tag: Int) { replayer?.pump(generation: tag) }
}
