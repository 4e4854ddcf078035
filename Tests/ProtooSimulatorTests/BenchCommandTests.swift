import ProtooTestSupport
import Testing

/// `protoo-bench --help` prints help instead of running everything; an unknown suite is exit 2.
@Suite struct BenchCommandTests {
    @Test func helpListsTheSuitesAndAnUnknownSuiteIsExitTwo() throws {
        let help = try ProtooTool.run(["--help"], executable: "protoo-bench")
        #expect(help.status == 0)
        #expect(help.outputText.contains("suites: codec engine simulator media scenario traces replay sockets proxy"), "\(help.outputText)")
        let unknown = try ProtooTool.run(["nosuch"], executable: "protoo-bench")
        #expect(unknown.status == 2)
        #expect(unknown.error.contains("unknown nosuch"))
        #expect(unknown.outputText.isEmpty, "no empty table")
    }
}
