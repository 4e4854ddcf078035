import Foundation
import Protoo
import Testing
@testable import ProtooSimulator

@Suite struct PortableMathTests {
    @Test(arguments: [1e-300, 1e-9, 0.001, 0.3, 0.5, 0.999_999, 1.0, 1.000_001, 2.0, 3.0, 10.0, 1234.5, 1e9, 1e300])
    func logMatchesTheLibraryToNearlyFullPrecision(x: Double) {
        let expected = Foundation.log(x)
        let actual = PortableMath.log(x)
        let error = abs(actual - expected) / max(1e-300, abs(expected))
        #expect(x == 1 ? actual == 0 : error < 1e-14, "log(\(x)) = \(actual), library \(expected)")
    }

    @Test func edgeCases() {
        #expect(PortableMath.log(0) == -.infinity)
        #expect(PortableMath.log(-1).isNaN)
        #expect(PortableMath.exponential(mean: 10, u: 0) == 0)
    }

    /// The series stops once a term no longer changes the sum; that must give exactly the bits
    /// of summing all twenty terms (published digests depend on every delay's last bit).
    @Test func stoppingEarlyGivesTheBitsOfTheFullSeries() {
        func fullSeries(_ x: Double) -> Double {
            var e = Double(x.exponent)
            var m = x.significand
            if m > 1.414_213_562_373_095 {
                m /= 2
                e += 1
            }
            let t = (m - 1) / (m + 1)
            let t2 = t * t
            var term = t
            var sum = 0.0
            var n = 1.0
            for _ in 0..<20 {
                sum += term / n
                term *= t2
                n += 2
            }
            return e * 0.693_147_180_559_945_3 + 2 * sum
        }
        var random = SeededRandom(seed: 42)
        var inputs: [Double] = [1e-300, 0.5, 0.707_106_781_186_547_5, 1.0, 1.414_213_562_373_095, 1.414_213_562_373_096, 2.0, 1e300,
                                Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude, 1.0.nextUp, 1.0.nextDown]
        for _ in 0..<200_000 { inputs.append(1 - random.nextUnit()) }  // what latency samples use: (0, 1]
        for _ in 0..<50_000 {  // any positive normal number
            let exponent: UInt64 = (random.next(upperBound: UInt64(0x7FE)) &+ 1) << 52
            inputs.append(Double(bitPattern: exponent | random.next() & 0x000F_FFFF_FFFF_FFFF))
        }
        var mismatches = 0
        for x in inputs where PortableMath.log(x).bitPattern != fullSeries(x).bitPattern {
            mismatches += 1
            if mismatches <= 3 { Issue.record("log(\(x)): \(PortableMath.log(x)) vs full series \(fullSeries(x))") }
        }
        #expect(mismatches == 0)
    }
}
