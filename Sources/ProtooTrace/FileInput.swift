#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file read through one reused window buffer with `pread`: constant memory for any file size.
final class FileInput {
    let path: String
    private let fd: Int32
    let size: Int64
    /// The window: `buffer[0..<buffer.count]` holds file bytes from `windowStart`.
    private let buffer: ByteStore
    private(set) var windowStart: Int64 = 0
    /// Read position inside the window.
    private(set) var cursor = 0

    init(path: String, windowSize: Int = 1 << 20) throws(TraceError) {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw TraceError.io(path: path, operation: "open", errno: errno) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw TraceError.io(path: path, operation: "fstat", errno: errno) }
        size = Int64(st.st_size)
        buffer = ByteStore(capacity: windowSize)
    }

    deinit { _ = Glibc_close(fd) }

    /// The file offset of the read position.
    var position: Int64 { windowStart + Int64(cursor) }
    /// Bytes available in the window from the read position.
    var available: Int { buffer.count - cursor }
    /// `true` when the read position is at the end of the file.
    var atEnd: Bool { position >= size }

    /// The available bytes from the read position.
    var window: UnsafeRawBufferPointer { buffer.bytes(cursor..<buffer.count) }

    /// Moves the read position to `offset`.
    func seek(to offset: Int64) {
        if offset >= windowStart && offset <= windowStart + Int64(buffer.count) {
            cursor = Int(offset - windowStart)
        } else {
            buffer.removeAll()
            windowStart = offset
            cursor = 0
        }
    }

    func consume(_ n: Int) { cursor += n }

    /// Makes at least `n` bytes available from the read position, if the file has them.
    /// Returns `false` when the file ends first.
    @discardableResult
    func fill(atLeast n: Int) throws(TraceError) -> Bool {
        if available >= n { return true }
        windowStart += Int64(cursor)
        buffer.removeFirst(cursor)
        cursor = 0
        if buffer.capacity < n { buffer.reserve(n - buffer.count) }
        while buffer.count < n && buffer.spare > 0 {
            let fileOffset = windowStart + Int64(buffer.count)
            if fileOffset >= size { break }
            let got = pread(fd, buffer.base + buffer.count, buffer.spare, off_t(fileOffset))
            if got < 0 {
                if errno == EINTR { continue }
                throw TraceError.io(path: path, operation: "read", errno: errno)
            }
            if got == 0 { break }
            buffer.count += got
        }
        return available >= n
    }

    /// Reads `n` bytes at `offset` into a fresh array (small metadata reads only).
    func read(at offset: Int64, count n: Int) throws(TraceError) -> [UInt8]? {
        guard offset >= 0, n >= 0, offset + Int64(n) <= size else { return nil }
        var out = [UInt8](repeating: 0, count: n)
        var done = 0
        while done < n {
            let got = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, n - done, off_t(offset + Int64(done))) }
            if got < 0 {
                if errno == EINTR { continue }
                throw TraceError.io(path: path, operation: "read", errno: errno)
            }
            if got == 0 { return nil }
            done += got
        }
        return out
    }
}
