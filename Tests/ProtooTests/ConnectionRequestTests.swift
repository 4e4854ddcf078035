import Testing
@testable import Protoo

@Suite struct ConnectionRequestTests {
    @Test func parsesPathAndDecodedQuery() {
        let (path, query) = ConnectionRequest.parseTarget("/room?roomId=a%20b&peerId=x+y&flag&empty=")
        #expect(path == "/room")
        #expect(query.map(\.name) == ["roomId", "peerId", "flag", "empty"])
        #expect(query.map(\.value) == ["a b", "x y", "", ""])
    }

    @Test func targetWithoutQueryHasNoItems() {
        let (path, query) = ConnectionRequest.parseTarget("/")
        #expect(path == "/")
        #expect(query.isEmpty)
    }

    @Test func onlyTheFirstDecisionCounts() {
        var rejected: [(Int, String)] = []
        let (context, _) = EngineContext.virtual()
        let (a, _) = MemoryTransport.pair(scheduler: context.scheduler)
        let request = ConnectionRequest(path: "/", query: [], headers: [("Origin", "x")], remoteAddress: "1.2.3.4:5",
                                        accept: { a }, reject: { rejected.append(($0, $1)) })
        request.reject(status: 409, reason: "taken")
        request.reject(status: 500, reason: "again")
        #expect(request.accept().isClosed)
        #expect(rejected.count == 1)
        #expect(rejected.first?.0 == 409)
        #expect(request.origin == "x")
    }
}
