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
}
