import Foundation
import Protoo

/// Changes what a server sends, message by message, on one connection: the "deliberately changed
/// app" of the regression tests, made by decorating the real app's transports.
class Rewriter {
    /// The texts to send instead of `text` (none, one, or several).
    func rewrite(_ text: String) -> [String] { [text] }
}

/// Wraps a real app; every accepted connection's transport goes through a fresh ``Rewriter``.
final class RewritingApp: ProtooApp {
    let inner: any ProtooApp
    let makeRewriter: () -> Rewriter

    init(_ inner: any ProtooApp, _ makeRewriter: @escaping () -> Rewriter) {
        self.inner = inner
        self.makeRewriter = makeRewriter
    }

    func handleConnection(_ request: ConnectionRequest) {
        let rewriter = makeRewriter()
        let wrapped = ConnectionRequest(
            path: request.path, query: request.query, headers: request.headers, remoteAddress: request.remoteAddress,
            accept: { RewritingTransport(request.accept(), rewriter) },
            reject: { request.reject(status: $0, reason: $1) })
        inner.handleConnection(wrapped)
    }

    func shutdown() { inner.shutdown() }
}

/// A transport that passes outgoing text through a ``Rewriter``.
final class RewritingTransport: Transport, TransportDelegate {
    let inner: any Transport
    let rewriter: Rewriter
    weak var delegate: (any TransportDelegate)?

    init(_ inner: any Transport, _ rewriter: Rewriter) {
        self.inner = inner
        self.rewriter = rewriter
        inner.delegate = self
    }

    var isClosed: Bool { inner.isClosed }
    func send(_ text: String) { for t in rewriter.rewrite(text) { inner.send(t) } }
    func close(code: UInt16, reason: String) { inner.close(code: code, reason: reason) }
    func abort() { inner.abort() }
    func transport(_ transport: any Transport, didReceive text: String) { delegate?.transport(self, didReceive: text) }
    func transport(_ transport: any Transport, didClose event: TransportCloseEvent) { delegate?.transport(self, didClose: event) }
}

/// Replaces a fragment of every message that contains it.
final class Replace: Rewriter {
    let from: String, to: String
    init(_ from: String, _ to: String) { self.from = from; self.to = to }
    override func rewrite(_ text: String) -> [String] { [text.replacingOccurrences(of: from, with: to)] }
}

/// Drops member `key` of `data` in messages of `method`.
final class DropField: Rewriter {
    let method: String, key: String
    init(method: String, key: String) { self.method = method; self.key = key }
    override func rewrite(_ text: String) -> [String] {
        guard var m = try? JSONParser.parse(text), m["method"]?.stringValue == method, var data = m["data"] else { return [text] }
        data[key] = nil
        m["data"] = data
        return [JSONWriter.string(m)]
    }
}

/// Sends `extra` after every message containing `marker`.
final class AddAfter: Rewriter {
    let marker: String, extra: String
    init(_ marker: String, _ extra: String) { self.marker = marker; self.extra = extra }
    override func rewrite(_ text: String) -> [String] { text.contains(marker) ? [text, extra] : [text] }
}

/// Holds the first message containing `marker` and sends it after the next message: a swapped pair.
final class SwapFirst: Rewriter {
    let marker: String
    private var held: String?
    private var done = false
    init(_ marker: String) { self.marker = marker }
    override func rewrite(_ text: String) -> [String] {
        if let h = held { held = nil; return [text, h] }
        if !done, text.contains(marker) { done = true; held = text; return [] }
        return [text]
    }
}
