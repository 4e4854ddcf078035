import Foundation
import ProtooSimulator

/// The process's CPU time and peak memory, for the report's cost per client.
struct ResourceUsage {
    var cpuSeconds: Double
    var peakMemoryMB: Double

    static func now() -> ResourceUsage {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        return ResourceUsage(cpuSeconds: cpu, peakMemoryMB: Simulation.peakMemoryMB())
    }

    static func - (a: ResourceUsage, b: ResourceUsage) -> ResourceUsage {
        ResourceUsage(cpuSeconds: a.cpuSeconds - b.cpuSeconds, peakMemoryMB: a.peakMemoryMB)
    }
}
