#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file opened for writing with plain POSIX calls (no Foundation buffering, no copies).
final class FileOutput {
    let path: String
    private var fd: Int32
    /// Bytes written so far.
    private(set) var offset: Int64 = 0

    init(path: String) throws(TraceError) {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw TraceError.io(path: path, operation: "open", errno: errno) }
    }

    deinit { if fd >= 0 { _ = Glibc_close(fd) } }

    func write(_ bytes: UnsafeRawBufferPointer) throws(TraceError) {
        guard var p = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = systemWrite(fd, p, left)
            if n < 0 {
                if errno == EINTR { continue }
                throw TraceError.io(path: path, operation: "write", errno: errno)
            }
            p += n
            left -= n
            offset += Int64(n)
        }
    }

    func close() throws(TraceError) {
        guard fd >= 0 else { return }
        let rc = Glibc_close(fd)
        fd = -1
        if rc != 0 { throw TraceError.io(path: path, operation: "close", errno: errno) }
    }
}

@inline(__always) func systemWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, p, n)
    #else
    return Darwin.write(fd, p, n)
    #endif
}

@inline(__always) func Glibc_close(_ fd: Int32) -> Int32 {
    #if canImport(Glibc)
    return Glibc.close(fd)
    #else
    return Darwin.close(fd)
    #endif
}
