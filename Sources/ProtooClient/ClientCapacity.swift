#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What one load process can hold: file descriptors (one per connection) and memory. Load
/// generators check it before they start, so that `--copies 100000` is refused with the number
/// that fits instead of running out of descriptors half way (connections stuck in CLOSE-WAIT, no
/// output, nothing measured).
package enum ClientCapacity {
    /// Descriptors kept for the process itself (event loops, pipes, files).
    package static let reservedDescriptors = 64

    /// The open-file limit, raised first to the hard limit (as most load tools do).
    package static func descriptorLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(RLIMIT_NOFILE_VALUE, &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }

    /// Bytes of memory the system says are available (`MemAvailable`), when it says.
    package static func availableMemory() -> Int? {
        guard let file = fopen("/proc/meminfo", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard text.hasPrefix("MemAvailable:") else { continue }
            let kib = text.split(separator: " ").compactMap { Int($0) }.first
            return kib.map { $0 * 1024 }
        }
        return nil
    }

    /// `nil` when `units` units of `descriptorsEach` descriptors and `bytesEach` bytes fit; else
    /// what does not fit and how many would, for an error that says what to do.
    package static func problem(units: Int, unitName: String, flag: String, descriptorsEach: Int, bytesEach: Int) -> String? {
        let limit = descriptorLimit()
        let fittingByDescriptors = max(0, limit - reservedDescriptors) / max(1, descriptorsEach)
        if units > fittingByDescriptors {
            return "\(flag) \(units) needs about \(units * descriptorsEach + reservedDescriptors) file descriptors (\(descriptorsEach) per \(unitName)); "
                + "this process may open \(limit): at most \(fittingByDescriptors) fit (raise the limit with `ulimit -n`, or split the load over processes)"
        }
        if let available = availableMemory() {
            let usable = available / 10 * 8
            let fittingByMemory = usable / max(1, bytesEach)
            if units > fittingByMemory {
                return "\(flag) \(units) needs about \(units * bytesEach >> 20) MiB (\(bytesEach >> 10) KiB per \(unitName)); "
                    + "\(available >> 20) MiB are available: at most \(fittingByMemory) fit (split the load over processes)"
            }
        }
        return nil
    }
}

#if canImport(Glibc)
private let RLIMIT_NOFILE_VALUE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
#else
private let RLIMIT_NOFILE_VALUE = RLIMIT_NOFILE
#endif
