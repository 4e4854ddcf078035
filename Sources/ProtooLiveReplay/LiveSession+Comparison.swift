import Protoo
import ProtooReplay

/// How a live replay compares what the server sends with the recording (docs/replay.md, "Live
/// replay", says what may come in another order than recorded).
extension LiveSession {
    /// Why live events went uncompared (the report's `notCompared` keys).
    enum NotCompared {
        static let afterDivergence = "after their connection diverged (only responses, matched by id, are still compared there)"
        static let afterCutOff = "after the end of a cut-off recording"
        static let unseenAfterDivergence = "recorded events that did not come after their connection diverged"
    }

    /// Compares a live server event with the recording.
    func live(_ event: LivePlan.Expected, summary: WireSummary? = nil, recordedRequestID: RequestID? = nil,
              method: String? = nil, on conn: LiveConnection) {
        if conn.diverged {
            // Order means nothing any more on this connection; a response is still matched by its id.
            guard case .message = event, let s = summary, s.kind == .response,
                  let slot = conn.firstUnmatched(where: { $0.summary?.kind == .response && $0.summary?.id == s.id }) else {
                notCompared[NotCompared.afterDivergence, default: 0] += 1
                return
            }
            count()
            let differences = compare(conn.slots[slot], event, recordedRequestID: nil, method: method ?? "", on: conn)
            conn.markMatched(slot)
            done[conn.slots[slot].step] = true
            if !differences.isEmpty { diverge(conn, .mismatch, slot: slot, actual: event, method: method, differences: differences) }
            return
        }
        let slot: Int?
        switch event {
        case .accepted, .rejected:
            slot = conn.firstUnmatched { if case .accepted = $0.expected { return true }; if case .rejected = $0.expected { return true }; return false }
        case .closed:
            slot = conn.firstUnmatched { if case .closed = $0.expected { return true }; return false }
        case .message:
            guard let s = summary else { preconditionFailure("a live message is compared with its wire summary") }
            switch s.kind {
            case .response:
                slot = conn.firstUnmatched { $0.summary?.kind == .response && $0.summary?.id == s.id }
            case .request:
                slot = recordedRequestID.flatMap { id in conn.firstUnmatched { $0.summary?.kind == .request && $0.summary?.id == id } }
            case .notification:
                slot = conn.firstUnmatched { $0.summary?.kind == .notification && $0.summary?.method == s.method }
            case .invalid:
                slot = conn.firstUnmatched { $0.summary?.kind == .invalid }
            }
        }
        guard let slot else {
            // A cut-off recording vouches for nothing after its end.
            if plan.cutOff != nil, conn.head >= conn.slots.count {
                notCompared[NotCompared.afterCutOff, default: 0] += 1
                return
            }
            count()
            return diverge(conn, .unexpected, slot: nil, actual: event, method: method, differences: [])
        }
        count()
        let differences = compare(conn.slots[slot], event, recordedRequestID: recordedRequestID, method: method ?? "", on: conn)
        if differences.isEmpty {
            conn.markMatched(slot)
            done[conn.slots[slot].step] = true
            return
        }
        // The same kind of event later on this connection: the order changed.
        if case .message = event, let s = summary, s.kind == .notification,
           let later = conn.firstUnmatched(where: { other in
               other.step > conn.slots[slot].step && other.summary?.method == s.method
                   && compare(other, event, recordedRequestID: nil, method: method ?? "", on: conn, learning: false).isEmpty
           }) {
            return diverge(conn, .reordered, slot: slot, actual: event, method: method, differences: [],
                           matchedTime: Instant(nanoseconds: conn.slots[later].time))
        }
        if case .message = event, summary?.kind == .response {
            // The response to this request came, different: it is no longer awaited.
            conn.markMatched(slot)
            done[conn.slots[slot].step] = true
        }
        diverge(conn, .mismatch, slot: slot, actual: event, method: method, differences: differences)
    }

    private func count() {
        outputsCompared += 1
        progress?.serverEventsCompared.wrappingAdd(1, ordering: .relaxed)
    }

    func compare(_ slot: LiveConnection.Slot, _ event: LivePlan.Expected, recordedRequestID: RequestID?, method: String,
                 on conn: LiveConnection, learning: Bool = true) -> [ReplayDifference] {
        func diff(_ path: String, _ e: JSONValue, _ a: JSONValue) -> ReplayDifference? {
            e == a ? nil : ReplayDifference(path: JSONPath([.key(path)]), expected: e, actual: a)
        }
        switch (slot.expected, event) {
        case (.accepted, .accepted):
            return []
        case (.rejected(let es, let er), .rejected(let s, let r)):
            return [diff("status", JSONValue(es), JSONValue(s)), diff("reason", .string(er), .string(r))].compactMap { $0 }
        case (.closed(nil, _), .closed(nil, _)):
            // Dropped without a close frame on both sides: the reasons are local descriptions, not wire data.
            return []
        case (.closed(let ec, let er), .closed(let c, let r)):
            func code(_ c: UInt16?) -> JSONValue { c.map { JSONValue(Int($0)) } ?? .null }
            return [diff("code", code(ec), code(c)), ec == nil || c == nil ? nil : diff("reason", .string(er), .string(r))].compactMap { $0 }
        case (.message(let expectedText), .message(let actualText)):
            if expectedText == actualText { return [] }
            guard let expected = try? JSONParser.parse(expectedText), var actual = try? JSONParser.parse(actualText) else {
                return [ReplayDifference(path: JSONPath(), expected: .string(expectedText), actual: .string(actualText))]
            }
            if let recordedRequestID { actual["id"] = .int(Int64(recordedRequestID)) }
            let paths: (capture: [JSONPathPattern], ignore: [JSONPathPattern])
            if let known = diffPathCache[method] {
                paths = known
            } else {
                paths = MessageDiff.paths(rules: options.rules, method: method)
                diffPathCache[method] = paths
            }
            var d = MessageDiff(capturePaths: paths.capture, ignorePaths: paths.ignore, substitutions: substitutions,
                                clientValues: clientValues)
            d.reportsConflictingCaptures = true
            d.compare(expected, actual, at: JSONPath())
            // A server-generated value seen here before the message that introduced it (which
            // raced it from another connection): its first sighting teaches the substitution.
            var early: [(String, String)] = []
            let differences = d.differences.filter { difference in
                guard case .string(let e)? = difference.expected, case .string(let a)? = difference.actual,
                      plan.serverGenerated.contains(e), d.substitutions.live(for: e) == e else { return true }
                early.append((e, a))
                return false
            }
            if learning, differences.isEmpty {
                substitutions = d.substitutions
                for (e, a) in early { substitutions.learn(recorded: e, live: a) }
            }
            return differences
        default:
            return [ReplayDifference(path: JSONPath([.key("event")]), expected: .string(Self.name(slot.expected)), actual: .string(Self.name(event)))]
        }
    }

    static func name(_ e: LivePlan.Expected) -> String {
        switch e {
        case .accepted: return "accepted"
        case .rejected: return "rejected"
        case .closed: return "closed"
        case .message(let text):
            switch WireSummary.scan(text).kind {
            case .request: return "request"
            case .response: return "response"
            case .notification: return "notification"
            case .invalid: return "invalid message"
            }
        }
    }

    static func text(_ e: LivePlan.Expected) -> String {
        switch e {
        case .accepted: return "accepted"
        case .rejected(let s, let r): return "rejected \(s) \(r)"
        case .message(let t): return t
        case .closed(let c, let r): return "closed code=\(c.map(String.init) ?? "none") reason=\"\(r)\" by server"
        }
    }

    func diverge(_ conn: LiveConnection, _ kind: ReplayDivergence.Kind, slot: Int?, actual: LivePlan.Expected?,
                 method: String?, differences: [ReplayDifference], matchedTime: Instant? = nil) {
        conn.diverged = true
        // Its server events no longer hold the client events after them back, but for the
        // responses: they still come (the client chose their ids) and are still compared.
        for s in conn.slots where !s.matched && s.summary?.kind != .response { done[s.step] = true }
        let expected = slot.map { conn.slots[$0] }
        let named = method.flatMap { $0.isEmpty ? nil : $0 } ?? expected.flatMap { methodOf($0, on: conn) }
        divergences.append(ReplayDivergence(
            kind: kind, time: kind == .missing ? Instant(nanoseconds: expected?.time ?? 0) : now,
            recordedTime: expected.map { Instant(nanoseconds: $0.time) }, matchedTime: matchedTime,
            connection: conn.plan.id, peer: conn.plan.peer, room: conn.plan.room,
            method: named,
            expected: expected.map { Self.text($0.expected) }, actual: actual.map(Self.text),
            differences: differences, lastEvents: history.lines))
        measurements.divergences[named ?? "", default: 0] += 1
        progress?.divergences.wrappingAdd(1, ordering: .relaxed)
        if divergences.count >= options.stopAfterDivergences {
            stoppedEarly = true
            finish()
        }
    }

    /// At the end: the first recorded event each connection still waits for, as `missing`. A
    /// diverged connection's recorded events still unseen are counted as not compared.
    func reportMissing() {
        for conn in connections {
            if conn.diverged {
                let unseen = conn.slots.filter { !$0.matched }.count
                if unseen > 0 { notCompared[NotCompared.unseenAfterDivergence, default: 0] += unseen }
                continue
            }
            guard let first = conn.firstUnmatchedSlot else { continue }
            let index = conn.slots.firstIndex { $0.step == first.step }!
            diverge(conn, .missing, slot: index, actual: nil, method: nil, differences: [])
            if stoppedEarly { return }
        }
    }

    private func methodOf(_ slot: LiveConnection.Slot, on conn: LiveConnection) -> String? {
        guard let s = slot.summary else { return nil }
        switch s.kind {
        case .request, .notification: return s.method
        case .response: return conn.clientMethods[s.id]
        case .invalid: return nil
        }
    }
}
