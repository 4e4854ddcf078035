import Foundation
import ProtooTestSupport
import Testing
@testable import ProtooSimulator

@Suite struct HugePagesTests {
    static let madvise = "always [madvise] never\n"

    @Test func reexecutesOnceWhenTheKernelOffersHugePages() {
        #expect(HugePages.decide(marker: nil, tunablesSet: false, kernelMode: Self.madvise) == .reexecute)
        #expect(HugePages.decide(marker: nil, tunablesSet: false, kernelMode: "[always] madvise never\n") == .reexecute)
        // The re-executed process sees its own marker (and the tunables it set): it cleans up, never loops.
        #expect(HugePages.decide(marker: "applied", tunablesSet: true, kernelMode: Self.madvise) == .applied)
    }

    @Test func staysWhenNotUsefulOrNotWanted() {
        #expect(HugePages.decide(marker: nil, tunablesSet: false, kernelMode: "always madvise [never]\n") == .stay)
        #expect(HugePages.decide(marker: nil, tunablesSet: false, kernelMode: nil) == .stay)
        #expect(HugePages.decide(marker: "0", tunablesSet: false, kernelMode: Self.madvise) == .stay)
        // GLIBC_TUNABLES set by the caller is theirs: kept as it is.
        #expect(HugePages.decide(marker: nil, tunablesSet: true, kernelMode: Self.madvise) == .stay)
    }

    @Test func tunablesAskForHugePagesFromOneArena() {
        let parts = HugePages.tunables.split(separator: ":")
        #expect(parts.contains("glibc.malloc.hugetlb=1"))
        #expect(parts.contains("glibc.malloc.arena_max=1"))
    }

    /// The real `protoo simulate` (built by `swift test` next to the test runner): it re-executes
    /// itself on huge pages where the kernel offers them, says so, and prints the digest it prints
    /// on 4 KB pages.
    @Test func theCommandReexecutesAndKeepsItsDigest() throws {
        let arguments = ["simulate", "--rooms", "2", "--peers-per-room", "3", "--duration", "20s", "--arrival-window", "5s", "--json"]
        let onHugePages = try Self.runProtoo(arguments, environment: [:])
        let onSmallPages = try Self.runProtoo(arguments, environment: ["PROTOO_HUGE_PAGES": "0"])
        #if os(Linux)
        let offered = HugePages.decide(marker: nil, tunablesSet: false, kernelMode: HugePages.kernelMode) == .reexecute
        #else
        let offered = false
        #endif
        #expect(onHugePages["hugePages"] as? Bool == offered)
        #expect(onSmallPages["hugePages"] as? Bool == false)
        let digest = try #require(onSmallPages["digest"] as? String)
        #expect(digest.count == 32)
        #expect(onHugePages["digest"] as? String == digest)
    }

    /// Runs the `protoo` executable beside this test runner and decodes its JSON output.
    static func runProtoo(_ arguments: [String], environment extra: [String: String]) throws -> [String: Any] {
        let result = try ProtooTool.run(arguments, environment: extra)
        let (status, output) = (result.status, result.output)
        try #require(status == 0, "protoo \(arguments.joined(separator: " ")) exited with \(status)")
        return try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any])
    }
}
