import Foundation
import Protoo

/// Changes what a server sends, message by message, on one connection: the "deliberately changed
/// app" of the regression tests, made by decorating the real app's transports.
open class Rewriter {
    public init() {}
    /// The texts to send instead of `text` (none, one, or several).
    open func rewrite(_ text: String) -> [String] { [text] }
}

/// Wraps a real app; every accepted connection's transport goes through a fresh ``Rewriter``.
public final class RewritingApp: ProtooApp {
    public let inner: any ProtooApp
    public let makeRewriter: () -> Rewriter

    public init(_ inner: any ProtooApp, _ makeRewriter: @escaping () -> Rewriter) {
        self.inner = inner
        self.makeRewriter = makeRewriter
    }

    public func handleConnection(_ request: ConnectionRequest) {
        let rewriter = makeRewriter()
        let wrapped = ConnectionRequest(
            path: request.path, query: request.query, headers: request.headers, remoteAddress: request.remoteAddress,
            accept: { RewritingTransport(request.accept(), rewriter) },
            reject: { request.reject(status: $0, reason: $1) })
        inner.handleConnection(wrapped)
    }

    public func shutdown() { inner.shutdown() }
}

/// A transport that passes outgoing text through a ``Rewriter``.
public final class RewritingTransport: Transport, TransportDelegate {
    public let inner: any Transport
    public let rewriter: Rewriter
    public weak var delegate: (any TransportDelegate)?

    public init(_ inner: any Transport, _ rewriter: Rewriter) {
        self.inner = inner
        self.rewriter = rewriter
        inner.delegate = self
    }

    public var isClosed: Bool { inner.isClosed }
    public func send(_ text: String) { for t in rewriter.rewrite(text) { inner.send(t) } }
    public func close(code: UInt16, reason: String) { inner.close(code: code, reason: reason) }
    public func abort() { inner.abort() }
    public func transport(_ transport: any Transport, didReceive text: String) { delegate?.transport(self, didReceive: text) }
    public func transport(_ transport: any Transport, didClose event: TransportCloseEvent) { delegate?.transport(self, didClose: event) }
}

/// Replaces a fragment of every message that contains it.
public final class Replace: Rewriter {
    public let from: String, to: String
    public init(_ from: String, _ to: String) { self.from = from; self.to = to }
    public override func rewrite(_ text: String) -> [String] { [text.replacingOccurrences(of: from, with: to)] }
}

/// Drops member `key` of `data` in messages of `method`.
public final class DropField: Rewriter {
    public let method: String, key: String
    public init(method: String, key: String) { self.method = method; self.key = key }
    public override func rewrite(_ text: String) -> [String] {
        guard var m = try? JSONParser.parse(text), m["method"]?.stringValue == method, var data = m["data"] else { return [text] }
        data[key] = nil
        m["data"] = data
        return [JSONWriter.string(m)]
    }
}

/// Sends `extra` after every message containing `marker`.
public final class AddAfter: Rewriter {
    public let marker: String, extra: String
    public init(_ marker: String, _ extra: String) { self.marker = marker; self.extra = extra }
    public override func rewrite(_ text: String) -> [String] { text.contains(marker) ? [text, extra] : [text] }
}

/// Holds the first message containing `marker` and sends it after the next message: a swapped pair.
public final class SwapFirst: Rewriter {
    public let marker: String
    private var held: String?
    private var done = false
    public init(_ marker: String) { self.marker = marker }
    public override func rewrite(_ text: String) -> [String] {
        if let h = held { held = nil; return [text, h] }
        if !done, text.contains(marker) { done = true; held = text; return [] }
        return [text]
    }
}
