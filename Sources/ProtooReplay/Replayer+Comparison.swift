import Protoo
import ProtooTrace

extension Replayer {
    /// The app sent `text` on `conn`.
    func liveSent(_ conn: ReplayConnection, _ text: String) {
        // Most output is notifications: without skip rules, one that matches needs no scan.
        if options.rules.skip.isEmpty, WireSummary.isCanonicalNonRequest(text) {
            return liveOutput(conn, .message(text, nil), text: text)
        }
        let summary = WireSummary.scan(text)
        if summary.kind == .request {
            let pair = conn.liveRequest(id: summary.id, method: summary.method, at: scheduler.now.nanoseconds)
            scheduleResponse(pair, on: conn)
        }
        if summary.kind != .response, skips(summary.method) { return }
        liveOutput(conn, .message(text, summary), text: text)
    }

    /// The app sent a message the engine encoded (``ReplayConnection/send(utf8:)``). A canonical
    /// notification or response that matches its recorded bytes costs a `memcmp`; anything else
    /// takes the string path.
    func liveSent(_ conn: ReplayConnection, utf8 bytes: UnsafeBufferPointer<UInt8>) {
        guard WireSummary.isCanonicalNonRequest(bytes) else {
            return liveSent(conn, String(decoding: bytes, as: UTF8.self))
        }
        if !options.rules.skip.isEmpty, let method = WireSummary.canonicalNotificationMethod(bytes), skips(method) { return }
        history.add(scheduler.now.nanoseconds, conn.id, "out", utf8: bytes)
        if !conn.diverged, conn.takeExpected(ifCanonical: bytes) {
            outputsCompared += 1
            return
        }
        match(conn, .message(String(decoding: bytes, as: UTF8.self), nil))
    }

    /// The server produced `output` on `conn`: compare it with the next recorded one.
    /// `text` is `output.text` when the caller has it (a message's own text): not formatted again.
    func liveOutput(_ conn: ReplayConnection, _ output: ReplayOutput, text: String? = nil) {
        history.add(scheduler.now.nanoseconds, conn.id, "out", text ?? output.text)
        match(conn, output)
    }

    /// Compares `output` with the next recorded event of `conn` (already in the history).
    private func match(_ conn: ReplayConnection, _ output: ReplayOutput) {
        guard !conn.diverged else { return }
        outputsCompared += 1
        // A recorded canonical message is bytes: equal bytes match without making a string.
        if case .message(let text, _) = output,
           text.utf8.withContiguousStorageIfAvailable({ conn.takeExpected(ifCanonical: $0) }) == true {
            return
        }
        guard let next = conn.nextExpected() else {
            // A cut-off recording vouches for nothing after a connection's last recorded event:
            // the live server may be producing what the recording never got to write.
            if eof, cutOff != nil {
                outputsCompared -= 1
                uncomparedAfterCut += 1
                history.add(scheduler.now.nanoseconds, conn.id, "note", "after the recording's end on this connection: not compared")
                return
            }
            diverge(conn, .unexpected, expected: nil, actual: output, differences: [])
            return
        }
        let expected = (time: next.time, output: conn.output(of: next.event))
        let differences = compare(expected.output, output, on: conn)
        if !differences.isEmpty {
            if let later = laterMatch(of: output, on: conn) {
                diverge(conn, .reordered, expected: expected, actual: output, differences: [], matchedTime: later)
            } else {
                diverge(conn, .mismatch, expected: expected, actual: output, differences: differences)
            }
        }
    }

    /// How far ahead on a connection a live message is looked for when it does not match the
    /// next recorded one.
    static let reorderWindow = 64

    /// When the recording has `output` later on `conn` (equal, under the substitutions learned so
    /// far, to one of the ``reorderWindow`` recorded events after the one it was compared with):
    /// that event's recorded time.
    private func laterMatch(of output: ReplayOutput, on conn: ReplayConnection) -> Instant? {
        for offset in 0..<Self.reorderWindow {
            guard let candidate = conn.expected(after: offset) else { return nil }
            switch (candidate.output, output) {
            case (.message(let recorded, _), .message(let text, _)):
                if recorded == text || (!substitutions.isEmpty && SubstitutedEquality.holds(recorded, text, under: substitutions)) {
                    return Instant(nanoseconds: candidate.time)
                }
            case (.message, _), (_, .message):
                continue
            default:
                // A close (or an upgrade's answer) that came before messages the recording has first.
                if compare(candidate.output, output, on: conn).isEmpty { return Instant(nanoseconds: candidate.time) }
            }
        }
        return nil
    }

    /// The differences between a recorded and a live event (empty when they match).
    private func compare(_ expected: ReplayOutput, _ actual: ReplayOutput, on conn: ReplayConnection) -> [ReplayDifference] {
        func diff(_ path: String, _ e: JSONValue, _ a: JSONValue) -> ReplayDifference? {
            e == a ? nil : ReplayDifference(path: JSONPath([.key(path)]), expected: e, actual: a)
        }
        switch (expected, actual) {
        case (.accepted, .accepted):
            return []
        case (.rejected(let es, let er), .rejected(let s, let r)):
            return [diff("status", JSONValue(es), JSONValue(s)), diff("reason", .string(er), .string(r))].compactMap { $0 }
        case (.closed(let ec, let er, let ei), .closed(let c, let r, let i)):
            func code(_ c: UInt16?) -> JSONValue { c.map { JSONValue(Int($0)) } ?? .null }
            return [diff("initiator", .string(ei.rawValue), .string(i.rawValue)), diff("code", code(ec), code(c)),
                    diff("reason", .string(er), .string(r))].compactMap { $0 }
        case (.message(let et, let es), .message(let t, let s)):
            if et == t { return [] }
            if !substitutions.isEmpty, SubstitutedEquality.holds(et, t, under: substitutions) { return [] }
            return compareMessages(et, es ?? WireSummary.scan(et), t, s ?? WireSummary.scan(t), on: conn)
        default:
            return [ReplayDifference(path: JSONPath([.key("event")]), expected: .string(Self.eventName(expected)),
                                     actual: .string(Self.eventName(actual)))]
        }
    }

    private func compareMessages(_ expectedText: String, _ expectedSummary: WireSummary,
                                 _ actualText: String, _ actualSummary: WireSummary,
                                 on conn: ReplayConnection) -> [ReplayDifference] {
        guard let expected = try? JSONParser.parse(expectedText), var actual = try? JSONParser.parse(actualText) else {
            return [ReplayDifference(path: JSONPath(), expected: .string(expectedText), actual: .string(actualText))]
        }
        // Requests the server chose ids for are compared in the recording's id space.
        if actualSummary.kind == .request, let recordedID = conn.recordedIDForLive[actualSummary.id] {
            actual["id"] = .int(Int64(recordedID))
        }
        let method = method(of: .message(expectedText, expectedSummary), on: conn) ?? ""
        let paths: (capture: [JSONPathPattern], ignore: [JSONPathPattern])
        if let known = diffPathCache[method] {
            paths = known
        } else {
            paths = MessageDiff.paths(rules: options.rules, method: method)
            diffPathCache[method] = paths
        }
        var diff = MessageDiff(capturePaths: paths.capture, ignorePaths: paths.ignore, substitutions: substitutions,
                               clientValues: clientValues)
        substitutions = Substitutions()
        diff.compare(expected, actual, at: JSONPath())
        substitutions = diff.substitutions
        return diff.differences
    }

    /// Whether `skip` rules leave messages of `method` out (cached per method).
    func skips(_ method: String) -> Bool {
        guard !options.rules.skip.isEmpty else { return false }
        if let known = skipCache[method] { return known }
        let result = options.rules.skips(method)
        skipCache[method] = result
        return result
    }

    /// The method a rule sees for this event: a response's is its request's.
    func method(of output: ReplayOutput, on conn: ReplayConnection) -> String? {
        guard let s = output.summary else { return nil }
        switch s.kind {
        case .request, .notification: return s.method
        case .response: return conn.clientMethods[s.id]
        case .invalid: return nil
        }
    }

    private static func eventName(_ o: ReplayOutput) -> String {
        switch o {
        case .accepted: return "accepted"
        case .rejected: return "rejected"
        case .closed: return "closed"
        case .message:
            switch o.summary?.kind ?? .invalid {
            case .request: return "request"
            case .response: return "response"
            case .notification: return "notification"
            case .invalid: return "invalid message"
            }
        }
    }

    private func diverge(_ conn: ReplayConnection, _ kind: ReplayDivergence.Kind,
                         expected: (time: Int64, output: ReplayOutput)?, actual: ReplayOutput,
                         differences: [ReplayDifference], matchedTime: Instant? = nil) {
        conn.diverged = true
        divergences.append(ReplayDivergence(
            kind: kind, time: scheduler.now, recordedTime: expected.map { Instant(nanoseconds: $0.time) }, matchedTime: matchedTime,
            connection: conn.id, peer: conn.peer, room: conn.room,
            method: expected.flatMap { method(of: $0.output, on: conn) } ?? method(of: actual, on: conn),
            expected: expected?.output.text, actual: actual.text, differences: differences, lastEvents: history.lines))
    }
}
