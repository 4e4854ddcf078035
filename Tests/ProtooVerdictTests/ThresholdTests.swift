import Protoo
import ProtooVerdict
import Testing

@Suite struct ThresholdTests {
    static func measured() -> Measurements {
        var m = Measurements()
        for ms in 1...100 { m.recordLatency(method: "echo", nanoseconds: UInt64(ms) * 1_000_000) }   // 1 … 100 ms
        for _ in 0..<10 { m.recordLatency(method: "join", nanoseconds: 30_000_000) }
        m.requests = ["echo": 100, "join": 10]
        m.errors = ["join": 1]
        m.divergences = ["join": 2]
        return m
    }

    @Test(arguments: [
        ("p99<50ms", false), ("p99<200ms", true), ("p50<=50ms", true), ("p50{method:join}<20ms", false),
        ("p50{method:join}<0.05s", true), ("p99.9<101ms", true), ("max<100ms", false), ("max<=100.1ms", true),
        ("mean>1ms", true), ("p99<0.5ms", false), ("p50<60000us", true),
        ("errors<1%", true), ("errors<0.5%", false), ("errors{method:join}<5%", false), ("errors==1", true), ("errors==0", false),
        ("divergences==0", false), ("divergences<=2", true), ("divergences{method:echo}==0", true),
        ("requests>=110", true), ("requests{method:join}>10", false), ("requests != 0", true),
    ])
    func judges(_ expression: String, _ passes: Bool) throws {
        let t = try Threshold(expression)
        let result = t.evaluate(Self.measured())
        #expect(result.passed == passes, "\(expression): \(result)")
        #expect(result.actual != nil)
    }

    @Test func nothingMeasuredNeverPasses() throws {
        let empty = Measurements()
        for expression in ["p99<50ms", "max<1s", "errors<1%", "errors==0", "p50{method:join}<20ms"] {
            let result = try Threshold(expression).evaluate(empty)
            #expect(!result.passed, "\(expression) passed on nothing")
            #expect(result.detail.hasPrefix("nothing measured"))
        }
        #expect(try Threshold("p50{method:nosuch}<1s").evaluate(Self.measured()).passed == false)
    }

    @Test(arguments: ["p99", "p99<", "<5ms", "p99<fast", "p0<1ms", "p101<1ms", "latency<5ms", "p99{peer:x}<5ms",
                      "p99{method:}<5ms", "errors<-1", "p99=5ms", "p99<5ms{method:x}"])
    func refusesWhatItCannotJudge(_ expression: String) {
        #expect(throws: ThresholdError.self) { try Threshold(expression) }
    }

    @Test func theVerdictRulesNeverPassOnNothingAndLetAThresholdReplaceADefault() throws {
        let failed = try Threshold("p99<1ms").evaluate(Self.measured())
        let met = try Threshold("divergences<=2").evaluate(Self.measured())
        #expect(VerdictRules.judge(couldNotRun: "nothing compared", divergences: 0, errors: 0, thresholds: []).verdict == .couldNotRun)
        #expect(VerdictRules.judge(couldNotRun: nil, divergences: 0, errors: 0, thresholds: []).verdict == .passed)
        #expect(VerdictRules.judge(couldNotRun: nil, divergences: 2, errors: 0, thresholds: []).verdict == .failed)
        #expect(VerdictRules.judge(couldNotRun: nil, divergences: 2, errors: 0, thresholds: [met]).verdict == .passed)
        #expect(VerdictRules.judge(couldNotRun: nil, divergences: 0, errors: 3, thresholds: []).verdict == .failed)
        let judged = VerdictRules.judge(couldNotRun: nil, divergences: 0, errors: 0, thresholds: [met, failed])
        #expect(judged.verdict == .failed)
        #expect(judged.reason.contains("p99<1ms"))
        #expect(Verdict.passed.exitCode == 0 && Verdict.failed.exitCode == 1 && Verdict.couldNotRun.exitCode == 2)
    }

    @Test func measurementsMergeHistogramsNotPercentiles() {
        var a = Measurements(), b = Measurements()
        for _ in 0..<99 { a.recordLatency(method: "echo", nanoseconds: 1_000_000) }
        b.recordLatency(method: "echo", nanoseconds: 500_000_000)
        a.merge(b)
        #expect(a.latency["echo"]?.totalCount == 100)
        #expect(a.latency(method: nil)?.max ?? 0 >= 499_000)
        #expect(MethodSummary.all(a).first?.timed == 100)
    }
}
