import Foundation
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
}
