import NIOCore
import Protoo

extension ProtooClient {
    /// Sends a request and calls `completion` on ``eventLoop`` with the response's data or the error
    /// (as ``request(_:_:)`` throws it), without a task hop: for callers that live on the client's loop,
    /// such as load generators. From the loop itself the request is sent at once.
    public func request(_ method: String, _ data: JSONValue = .emptyObject,
                        completion: @escaping @Sendable (Result<JSONValue, any Error>) -> Void) {
        let core = self.core
        if core.eventLoop.inEventLoop {
            core.value.request(method, data, completion: completion)
        } else {
            core.eventLoop.execute { core.value.request(method, data, completion: completion) }
        }
    }
}
