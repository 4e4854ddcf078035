import ProtooLoad
import Testing

/// How the load generator turns the server URL into each peer's URL.
struct PeerURLTests {
    @Test(arguments: [
        ("ws://127.0.0.1:4443", "ws://127.0.0.1:4443/?peerId=load-7"),
        ("ws://127.0.0.1:4443/", "ws://127.0.0.1:4443/?peerId=load-7"),
        ("ws://127.0.0.1:4443/?", "ws://127.0.0.1:4443/?peerId=load-7"),
        ("ws://127.0.0.1:4443/?roomId=r1", "ws://127.0.0.1:4443/?roomId=r1&peerId=load-7"),
        ("wss://h/path?roomId=r1&x=2", "wss://h/path?roomId=r1&x=2&peerId=load-7"),
        ("ws://h/?roomId=r1#frag", "ws://h/?roomId=r1&peerId=load-7#frag"),
    ])
    func peerIdIsAppended(base: String, expected: String) {
        #expect(PeerURL.make(base, index: 7) == expected)
    }

    @Test func anExistingPeerIdIsKept() {
        #expect(PeerURL.make("ws://h/?roomId=r1&peerId=alice", index: 3) == "ws://h/?roomId=r1&peerId=alice")
        #expect(PeerURL.hasPeerID("ws://h/?peerId=a"))
        #expect(!PeerURL.hasPeerID("ws://h/?peerIdx=a"))
        #expect(!PeerURL.hasPeerID("ws://h/#?peerId=a"))
    }

    @Test func thePrefixIsConfigurable() {
        #expect(PeerURL.make("ws://h/", index: 0, prefix: "bench-") == "ws://h/?peerId=bench-0")
    }
}
