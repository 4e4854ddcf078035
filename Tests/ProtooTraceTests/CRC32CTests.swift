import Testing
@testable import ProtooTrace

@Suite struct CRC32CTests {
    /// The CRC32C check value and the hardware path against the table path on every length
    /// around the 8-byte steps and every alignment.
    @Test func hardwareMatchesSoftware() {
        let check = Array("123456789".utf8)
        #expect(check.withUnsafeBytes { CRC32C.software($0) } == 0xE306_9283)
        #expect(CRC32C.checksum(check) == 0xE306_9283)
        guard CRC32C.hardwareAvailable else { return }
        var state: UInt64 = 0x1234_5678
        let bytes: [UInt8] = (0..<300).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        bytes.withUnsafeBytes { all in
            for start in 0..<9 {
                for length in 0..<(all.count - start) {
                    let slice = UnsafeRawBufferPointer(rebasing: all[start..<(start + length)])
                    #expect(CRC32C.hardware(slice) == CRC32C.software(slice), "start \(start) length \(length)")
                }
            }
        }
    }
}
