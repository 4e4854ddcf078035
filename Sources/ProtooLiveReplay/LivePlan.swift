import Protoo
import ProtooReplay
import ProtooTrace

/// A trace as a live replay plays it: what the recorded clients did (connect, send, answer the
/// server's requests, close) and what the server sent, in record order.
struct LivePlan: Sendable {
    struct Connection: Sendable {
        /// The recorded connection id.
        var id: ConnectionID
        /// Path and query, as recorded.
        var target: String
        /// The recorded upgrade headers.
        var headers: [TraceHeaderField]
        var peer: String?
        var room: String?
        /// The recording has the connection lost without a close frame (`closed` by `network`).
        /// Recordings made before the proxy told a server's drop from a client's have these for
        /// server drops too: a live drop by the server at that point is the same close.
        var recordedNetworkClose = false
    }

    /// A connection the recording's proxy refused itself (a `proxy` marker): the server never saw
    /// it, so it is neither replayed nor expected.
    struct ProxyRefusal: Sendable {
        var connection: ConnectionID
        var peer: String?
        var room: String?
        var text: String
    }

    /// A server event the recording has.
    enum Expected: Sendable {
        case accepted
        case rejected(status: Int, reason: String)
        case message(String)
        case closed(code: UInt16?, reason: String)
    }

    enum Action: Sendable {
        case connect(Int)
        /// A client request or notification, as recorded.
        case send(Int, String)
        /// The recorded client's answer to the server request it had recorded with this id.
        case answer(Int, request: RequestID, String)
        /// The client closed (a close frame), or its network dropped (`network`).
        case close(Int, code: UInt16?, reason: String, network: Bool)
        case expect(Int, Expected)
    }

    struct Step: Sendable {
        var time: Int64
        var action: Action
        /// For a client close: when the recording saw it complete (the proxy's `closeCompleted`
        /// marker: its close handshake and TCP close were over). Events recorded between the close
        /// and then went out while it was in progress; `nil`: at ``time``.
        var completedAt: Int64?
    }

    var connections: [Connection] = []
    var steps: [Step] = []
    /// Records of connections that began before the trace, and markers.
    var skippedRecords = 0
    /// Connections the recording's proxy refused itself (not replayed).
    var proxyRefusals: [ProxyRefusal] = []
    /// Records read.
    var records = 0
    var firstTime: Int64 = 0
    var lastTime: Int64 = 0
    /// Why the recording stops short, when it does.
    var cutOff: String?
    /// Strings the recorded server generated: at a capture path of one of its messages, and never
    /// sent by a recorded client. On real sockets a message may reference one before the message
    /// that introduced it arrives (from another connection): then the first sighting teaches the
    /// substitution (see ``LiveSession``).
    var serverGenerated = Set<String>()

    /// Reads `source` to its end. Server events of methods the rules skip are left out.
    init(source: any TraceRecordSource, rules: ReplayRules) throws(TraceError) {
        var index: [ConnectionID: Int] = [:]
        var serverRequests: [Int: Set<RequestID>] = [:]
        var clientMethods: [Int: [RequestID: String]] = [:]
        var first: Int64?
        var refusedByProxy: [Int: String] = [:]
        var lastClientClose: [Int: Int] = [:]
        while let record = try source.next() {
            records += 1
            first = first ?? record.time
            lastTime = max(lastTime, record.time)
            if case .connectionRequested(let target, let headers, _) = record.event {
                let query = ConnectionRequest.parseTarget(target).query
                index[record.connection] = connections.count
                connections.append(Connection(id: record.connection, target: target, headers: headers,
                                              peer: query.first { $0.name == "peerId" }?.value,
                                              room: query.first { $0.name == "roomId" }?.value))
                steps.append(Step(time: record.time, action: .connect(connections.count - 1)))
                continue
            }
            guard let c = index[record.connection] else {
                skippedRecords += 1
                continue
            }
            let action: Action?
            switch record.event {
            case .marker(let name, let text):
                if name == TraceMarkers.proxyRefusal { refusedByProxy[c] = text }
                if name == TraceMarkers.closeCompleted, let step = lastClientClose[c] { steps[step].completedAt = record.time }
                action = nil
            case .connectionRequested:
                action = nil
            case .accepted:
                action = .expect(c, .accepted)
            case .rejected(let status, let reason):
                action = .expect(c, .rejected(status: status, reason: reason))
            case .messageIn(let text):
                let summary = WireSummary.scan(text)
                if summary.kind == .response, serverRequests[c]?.contains(summary.id) == true {
                    action = .answer(c, request: summary.id, text)
                } else {
                    if summary.kind == .request { clientMethods[c, default: [:]][summary.id] = summary.method }
                    action = .send(c, text)
                }
            case .messageOut(let text):
                let summary = WireSummary.scan(text)
                let method = summary.kind == .response ? clientMethods[c]?[summary.id] ?? "" : summary.method
                if summary.kind == .request { serverRequests[c, default: []].insert(summary.id) }
                action = rules.skips(method) ? nil : .expect(c, .message(text))
            case .closed(let code, let reason, let initiator):
                switch initiator {
                case .client: action = .close(c, code: code, reason: reason, network: false)
                case .network:
                    connections[c].recordedNetworkClose = true
                    action = .close(c, code: code, reason: reason, network: true)
                case .server: action = .expect(c, .closed(code: code, reason: reason))
                }
            }
            if let action {
                if case .close = action { lastClientClose[c] = steps.count }
                steps.append(Step(time: record.time, action: action))
            }
        }
        firstTime = first ?? 0
        cutOff = source.endedEarly
        if !refusedByProxy.isEmpty { dropProxyRefusals(refusedByProxy) }
        serverGenerated = Self.serverGeneratedValues(steps, connections: connections, rules: rules)
    }

    /// Takes the connections the recording's proxy refused out of the plan (indexes stay valid:
    /// their steps go, their entries stay).
    private mutating func dropProxyRefusals(_ refused: [Int: String]) {
        for (c, text) in refused.sorted(by: { $0.key < $1.key }) {
            let conn = connections[c]
            proxyRefusals.append(ProxyRefusal(connection: conn.id, peer: conn.peer, room: conn.room, text: text))
        }
        steps.removeAll { step in
            switch step.action {
            case .connect(let c), .send(let c, _), .answer(let c, _, _), .close(let c, _, _, _), .expect(let c, _):
                return refused[c] != nil
            }
        }
    }

    /// The most connections the recording had open at once (a copy's file descriptors).
    var peakConnections: Int {
        var open = 0, peak = 0
        for step in steps {
            switch step.action {
            case .connect: open += 1
            case .close, .expect(_, .rejected), .expect(_, .closed): open -= 1
            default: continue
            }
            peak = max(peak, open)
        }
        return max(1, peak)
    }

    /// Bytes the plan's messages hold (a copy's memory, roughly twice that with its live state).
    var messageBytes: Int {
        steps.reduce(0) { sum, step in
            switch step.action {
            case .send(_, let t), .answer(_, _, let t), .expect(_, .message(let t)): return sum + t.utf8.count
            default: return sum
            }
        }
    }

    private static func serverGeneratedValues(_ steps: [Step], connections: [Connection], rules: ReplayRules) -> Set<String> {
        guard !rules.capture.isEmpty else { return [] }
        var captured = Set<String>(), sent = Set<String>()
        for c in connections { for item in ConnectionRequest.parseTarget(c.target).query { sent.insert(item.value) } }
        func strings(_ v: JSONValue, into set: inout Set<String>) {
            switch v {
            case .string(let s): set.insert(s)
            case .array(let items): for i in items { strings(i, into: &set) }
            case .object(let members): for m in members { strings(m.value, into: &set) }
            default: break
            }
        }
        func walk(_ v: JSONValue, _ path: inout [JSONPathComponent], _ patterns: [JSONPathPattern]) {
            if !path.isEmpty, case .string(let s) = v, patterns.contains(where: { $0.matches(JSONPath(path)) }) { captured.insert(s) }
            switch v {
            case .array(let items):
                for (i, item) in items.enumerated() { path.append(.index(i)); walk(item, &path, patterns); path.removeLast() }
            case .object(let members):
                for m in members { path.append(.key(m.key)); walk(m.value, &path, patterns); path.removeLast() }
            default: break
            }
        }
        // Every capture path, whatever its method (a response's method is its request's): a superset,
        // less what any recorded client sent.
        let patterns = rules.capture.map(\.path)
        for step in steps {
            switch step.action {
            case .send(_, let text), .answer(_, _, let text):
                if let v = try? JSONParser.parse(text) { strings(v, into: &sent) }
            case .expect(_, .message(let text)):
                guard let v = try? JSONParser.parse(text) else { continue }
                var path: [JSONPathComponent] = []
                walk(v, &path, patterns)
            default: break
            }
        }
        return captured.subtracting(sent)
    }

    /// The plan of copy `copy` for a load run, with ids of its own: every recorded room id (from
    /// the connections' URLs) becomes `<id>-<copy>` (pass 1) or `<id>-<copy>-<pass>` (a later
    /// pass of a `--duration` run), and so does the peer id of a connection whose URL has no room
    /// (peer ids are unique within a room, so a copy in rooms of its own keeps them: a server that
    /// gives a peer id a meaning, such as the conformance app's `reject`, still sees it). The ids
    /// are rewritten in URLs and, as whole strings, in the `data` of every message both ways.
    func copy(_ copy: Int, pass: Int = 1) -> LivePlan {
        var ids = Set<String>()
        for c in connections {
            if let r = c.room { ids.insert(r) } else if let p = c.peer { ids.insert(p) }
        }
        let rewriter = IDRewriter(ids: ids, suffix: pass == 1 ? "-\(copy)" : "-\(copy)-\(pass)")
        var plan = self
        plan.connections = connections.map { c in
            var c = c
            c.target = rewriter.rewriteTarget(c.target)
            c.peer = c.peer.map(rewriter.rewrite)
            c.room = c.room.map(rewriter.rewrite)
            return c
        }
        plan.steps = steps.map { step in
            var step = step
            switch step.action {
            case .send(let c, let text): step.action = .send(c, rewriter.rewriteMessage(text))
            case .answer(let c, let id, let text): step.action = .answer(c, request: id, rewriter.rewriteMessage(text))
            case .expect(let c, .message(let text)): step.action = .expect(c, .message(rewriter.rewriteMessage(text)))
            default: break
            }
            return step
        }
        return plan
    }
}

/// Rewrites whole string values that are one of `ids` (never substrings or keys), in URLs and in
/// the `data` of messages.
struct IDRewriter {
    let ids: Set<String>
    let suffix: String

    func rewrite(_ s: String) -> String { ids.contains(s) ? s + suffix : s }

    func rewriteTarget(_ target: String) -> String {
        let (path, query) = ConnectionRequest.parseTarget(target)
        guard !query.isEmpty else { return target }
        let items = query.map { "\(Self.escape($0.name))=\(Self.escape(rewrite($0.value)))" }
        return path + "?" + items.joined(separator: "&")
    }

    /// Rewrites the message's `data` (never its method, id or error fields).
    func rewriteMessage(_ text: String) -> String {
        guard ids.contains(where: { text.contains($0) }), var value = try? JSONParser.parse(text), let data = value["data"] else { return text }
        let rewritten = walk(data)
        guard rewritten != data else { return text }
        value["data"] = rewritten
        return JSONWriter.string(value)
    }

    private func walk(_ v: JSONValue) -> JSONValue {
        switch v {
        case .string(let s): return .string(rewrite(s))
        case .array(let items): return .array(items.map(walk))
        case .object(let members):
            var o = JSONObject()
            for m in members { o[m.key] = walk(m.value) }
            return .object(o)
        default: return v
        }
    }

    private static func escape(_ s: String) -> String {
        s.addingPercentEncodingForQuery()
    }
}

extension String {
    /// Percent-encodes what may not appear in a query value.
    func addingPercentEncodingForQuery() -> String {
        var out = ""
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    fileprivate func leftPadded(to n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
