#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The output file of a tool that reads traces and writes one (`protoo trace cut`, `convert`):
/// never one of its inputs, and never left half-written.
///
/// - The output is refused when it is the same file as an input — compared by device and inode,
///   so another spelling (`./x`, `../dir/x`), a symbolic link or a hard link to the input is caught.
/// - Everything is written to ``temporaryPath`` (a hidden file in the output's directory, same
///   extension) and renamed over the output by ``commit()``, atomically. Until then the old output,
///   if any, is untouched; an instance given up without a commit removes its temporary file.
/// - When the output is a symbolic link, the file it points to is replaced (the link stays).
public final class ReplacingOutput {
    /// The path the output ends up at (a symbolic link resolved).
    public let path: String
    /// Where the output is written until ``commit()``.
    public let temporaryPath: String
    private var finished = false

    /// Checks `output` against `inputs` and picks the temporary path.
    public init(_ output: String, inputs: [String]) throws(TraceError) {
        var outputStat = stat()
        if stat(output, &outputStat) == 0 {
            for input in inputs {
                var inputStat = stat()
                if stat(input, &inputStat) == 0, inputStat.st_dev == outputStat.st_dev, inputStat.st_ino == outputStat.st_ino {
                    throw TraceError.outputIsInput(output: output, input: input)
                }
            }
        }
        path = Self.resolvingLink(output)
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let token = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        // Ends with the output's own name, so its extension (.jsonl, .ptrace.zst) still picks the format.
        temporaryPath = directory + "/.protoo-partial-" + token + "-" + url.lastPathComponent
    }

    deinit { if !finished { discard() } }

    /// Renames the finished temporary file over ``path``.
    public func commit() throws(TraceError) {
        guard !finished else { return }
        finished = true
        _ = chmod(temporaryPath, 0o644)
        guard rename(temporaryPath, path) == 0 else {
            let error = errno
            _ = unlink(temporaryPath)
            throw TraceError.io(path: path, operation: "rename from \(temporaryPath)", errno: error)
        }
    }

    /// Removes the temporary file; ``path`` stays as it was.
    public func discard() {
        finished = true
        _ = unlink(temporaryPath)
    }

    /// The file a symbolic link at `path` points to (following chains), or `path` itself.
    private static func resolvingLink(_ path: String) -> String {
        var current = path
        for _ in 0..<40 {
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: current) else { return current }
            current = target.hasPrefix("/") ? target
                : URL(fileURLWithPath: current).deletingLastPathComponent().appendingPathComponent(target).path
        }
        return current
    }
}
