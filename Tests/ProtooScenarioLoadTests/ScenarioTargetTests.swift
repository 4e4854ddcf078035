import Testing
@testable import ProtooScenarioLoad
import ProtooWebSocketCore

/// Where each scenario client connects: the server URL with the scenario's roomId/peerId.
@Suite struct ScenarioTargetTests {
    @Test func theTargetsQueryJoinsTheURLs() throws {
        let base = try WebSocketURL("ws://127.0.0.1:4443/")
        let url = ScenarioTarget.url(base, target: "/?roomId=room-0&peerId=abc")
        #expect(url.target == "/?roomId=room-0&peerId=abc")
        #expect(url.host == "127.0.0.1" && url.port == 4443 && !url.secure)
    }

    @Test func theURLsPathAndOtherParametersAreKept() {
        #expect(ScenarioTarget.merge(base: "/protoo?token=t1", target: "/?roomId=r&peerId=p") == "/protoo?token=t1&roomId=r&peerId=p")
        #expect(ScenarioTarget.merge(base: "/protoo", target: "/") == "/protoo")
        #expect(ScenarioTarget.merge(base: "/", target: "/") == "/")
    }

    @Test func theScenarioWinsOverTheURLsParametersOfTheSameName() {
        #expect(ScenarioTarget.merge(base: "/?roomId=fixed&x=1", target: "/?roomId=room-2&peerId=p") == "/?x=1&roomId=room-2&peerId=p")
    }

    @Test func aScenarioPathReplacesTheURLs() {
        #expect(ScenarioTarget.merge(base: "/old?token=t", target: "/rooms/r1?peerId=p") == "/rooms/r1?token=t&peerId=p")
    }
}
