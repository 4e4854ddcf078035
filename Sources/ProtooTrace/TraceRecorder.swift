import Foundation
import Logging
import Protoo

/// Records a live server's traffic: a ``TrafficTap`` that any event loop may call.
///
/// Each callback encodes its record into a bounded, lock-protected byte buffer (the only work on
/// the event loop: a copy of the message's bytes; see ``StagedRecords``). The buffer is bounded in
/// records (``TraceRecorderConfiguration/capacity``) and in bytes
/// (``TraceRecorderConfiguration/bufferBytes``, counting the batch being written too); past either,
/// the overflow policy drops or blocks. A dedicated writer thread
/// takes the buffer in batches, redacts, compresses and writes; it flushes every ``TraceRecorderConfiguration/flushInterval`` and rotates
/// files by size or trace time. Records of one connection keep their order (one FIFO buffer).
/// Call ``close()`` before exiting; it writes the trailer.
public final class TraceRecorder: TrafficTap, @unchecked Sendable { // mutable state guarded by `condition`; `writer*` only on the writer thread
    /// The configuration it runs with.
    public let configuration: TraceRecorderConfiguration
    private let origin: Int64
    private let logger: Logger
    private let condition = NSCondition()
    /// Staged records (``StagedRecords``) and how many; swapped with the writer's empty buffer.
    private var pending = ByteStore(capacity: 64 * 1024)
    private var pendingCount = 0
    private var droppedPending: UInt64 = 0
    private var droppedTotal: UInt64 = 0
    /// Bytes of the batch the writer thread took and is still writing (count against the bound).
    private var inFlightBytes = 0
    /// The most bytes staged at once: since the current file began, and since the start.
    private var filePeakBytes = 0
    private var peakBytes = 0
    /// Records that waited for room: in the current file, and since the start.
    private var fileBlocked: UInt64 = 0
    private var blockedTotal: UInt64 = 0
    /// A producer met a full buffer since the writer last took a batch (wakes the writer early).
    private var overflowed = false
    private var writerSleeping = false
    private var flushRequested: UInt64 = 0
    private var flushCompleted: UInt64 = 0
    private var closing = false
    private var finished = false
    private var failure: TraceError?
    private var filePaths: [String] = []
    private let wakeThreshold: Int
    private let wakeBytes: Int
    // Writer thread only.
    private var writer: any RecordingOutput
    private var writerFileIndex = 0
    private var writerFileStart: Int64?
    private var writerFailed = false

    /// Opens the first file (errors surface here) and starts the writer thread.
    /// Record times are engine instants minus `configuration.header.monotonicOrigin`.
    public init(configuration: TraceRecorderConfiguration, logger: Logger = Logger(label: "protoo.trace")) throws(TraceError) {
        self.configuration = configuration
        self.logger = logger
        origin = configuration.header.monotonicOrigin.nanoseconds
        wakeThreshold = max(1, min(configuration.capacity / 4, 4096))
        wakeBytes = max(1, min(configuration.bufferBytes / 8, 4 << 20))
        if !configuration.overwritesExisting {
            for index in 0...1 {
                let path = TraceFileNaming.path(base: configuration.path, index: index)
                if FileManager.default.fileExists(atPath: path) { throw TraceError.recordingExists(path: path) }
            }
        }
        writer = try Self.openWriter(configuration, index: 0)
        filePaths = [configuration.path]
        let thread = Thread { [self] in self.runWriter() }
        thread.name = "protoo-trace-writer"
        thread.start()
    }

    /// Records dropped so far because the buffer was full (``TraceOverflowPolicy/dropNewest``).
    public var droppedRecords: UInt64 {
        condition.lock()
        defer { condition.unlock() }
        return droppedTotal
    }

    /// Bytes the buffer holds now (staged records plus the batch being written).
    public var bufferedBytes: Int {
        condition.lock()
        defer { condition.unlock() }
        return pending.count + inFlightBytes
    }

    /// The most bytes the buffer held at once so far (staged records plus the batch being written).
    public var peakBufferedBytes: Int {
        condition.lock()
        defer { condition.unlock() }
        return peakBytes
    }

    /// Records that waited for room so far (``TraceOverflowPolicy/block``).
    public var blockedRecords: UInt64 {
        condition.lock()
        defer { condition.unlock() }
        return blockedTotal
    }

    /// Every file written so far, in order.
    public var files: [String] {
        condition.lock()
        defer { condition.unlock() }
        return filePaths
    }

    // MARK: TrafficTap

    public func connectionRequested(_ connection: ConnectionID, at time: Instant, target: String,
                                    headers: [(name: String, value: String)], remoteAddress: String) {
        let kept = headers.compactMap { h in
            configuration.recordedHeaders.contains(h.name.lowercased()) ? TraceHeaderField(name: h.name, value: h.value) : nil
        }
        let event = TraceEvent.connectionRequested(target: target, headers: kept, remoteAddress: remoteAddress)
        stage(.connectionRequested, time, connection) { RecordCoding.encodeBody(event, into: $0) }
    }

    public func connectionAccepted(_ connection: ConnectionID, at time: Instant) {
        stage(.accepted, time, connection) { _ in }
    }

    public func connectionRejected(_ connection: ConnectionID, at time: Instant, status: Int, reason: String) {
        stage(.rejected, time, connection) { RecordCoding.encodeBody(.rejected(status: status, reason: reason), into: $0) }
    }

    public func messageReceived(_ connection: ConnectionID, at time: Instant, text: String) {
        stageMessage(.messageIn, time, connection, text)
    }

    public func messageSent(_ connection: ConnectionID, at time: Instant, text: String) {
        stageMessage(.messageOut, time, connection, text)
    }

    public func messageReceived(_ connection: ConnectionID, at time: Instant, utf8: UnsafeRawBufferPointer) {
        stageMessage(.messageIn, time, connection, utf8)
    }

    public func messageSent(_ connection: ConnectionID, at time: Instant, utf8: UnsafeRawBufferPointer) {
        stageMessage(.messageOut, time, connection, utf8)
    }

    public func connectionClosed(_ connection: ConnectionID, at time: Instant, event: TransportCloseEvent) {
        let closed = TraceEvent.closed(code: event.code, reason: event.reason, initiator: TraceCloseInitiator(event.initiator))
        stage(.closed, time, connection) { RecordCoding.encodeBody(closed, into: $0) }
    }

    /// Adds a named annotation at `time`.
    public func marker(_ name: String, text: String = "", at time: Instant, connection: ConnectionID = 0) {
        stage(.marker, time, connection) { RecordCoding.encodeBody(.marker(name: name, text: text), into: $0) }
    }

    // MARK: control

    /// Waits until everything recorded before the call is compressed and written to the file.
    public func flush() throws(TraceError) {
        condition.lock()
        defer { condition.unlock() }
        flushRequested += 1
        let target = flushRequested
        condition.broadcast()
        while flushCompleted < target && !finished { condition.wait() }
        if let failure { throw failure }
    }

    /// Writes everything, the trailer and footer, and stops the writer thread. Later records are dropped.
    public func close() throws(TraceError) {
        condition.lock()
        defer { condition.unlock() }
        closing = true
        condition.broadcast()
        while !finished { condition.wait() }
        if let failure { throw failure }
    }

    // MARK: buffer

    /// ``stage(_:_:_:body:)`` for a message, written in one reserved copy.
    private func stageMessage(_ kind: TraceRecordKind, _ time: Instant, _ connection: ConnectionID, _ text: String) {
        var text = text
        text.withUTF8 { stageMessage(kind, time, connection, UnsafeRawBufferPointer($0)) }
    }

    private func stageMessage(_ kind: TraceRecordKind, _ time: Instant, _ connection: ConnectionID, _ utf8: UnsafeRawBufferPointer) {
        let size = StagedRecords.messageSize(utf8.count)
        condition.lock()
        defer { condition.unlock() }
        guard admit(size) else { return }
        StagedRecords.appendMessage(kind: kind, time: time.nanoseconds &- origin, connection: connection, utf8: utf8, to: pending)
        staged(size)
    }

    /// Encodes one record into the shared buffer (`body` writes its fields).
    @inline(__always)
    /// Records of these kinds are small and rare (connections, closes, markers): encoded first, so
    /// their size is known, and taken back if the buffer has no room for them.
    private func stage(_ kind: TraceRecordKind, _ time: Instant, _ connection: ConnectionID, body: (ByteStore) -> Void) {
        let t = time.nanoseconds &- origin
        condition.lock()
        defer { condition.unlock() }
        let start = pending.count
        StagedRecords.append(kind: kind, time: t, connection: connection, to: pending, body: body)
        let size = pending.count - start
        if closing || !hasRoom(for: size, staged: start + inFlightBytes) {
            pending.count = start
            guard admit(size) else { return }
            StagedRecords.append(kind: kind, time: t, connection: connection, to: pending, body: body)
        }
        staged(size)
    }

    /// Whether a record of `size` bytes fits beside `staged` bytes (under the lock). A record larger
    /// than the whole bound fits an empty buffer, so that it is not refused (or blocked) forever.
    @inline(__always)
    private func hasRoom(for size: Int, staged: Int) -> Bool {
        pendingCount < configuration.capacity && (staged == 0 || staged + size <= configuration.bufferBytes)
    }

    /// Applies the overflow policy under the lock: `false` if the record is dropped.
    @inline(__always)
    private func admit(_ size: Int) -> Bool {
        var waited = false
        while !closing && !hasRoom(for: size, staged: pending.count + inFlightBytes) {
            // Full: the writer takes what is staged now rather than at its next wake-up.
            overflowed = true
            if writerSleeping { condition.broadcast() }
            switch configuration.overflowPolicy {
            case .dropNewest:
                droppedPending += 1
                droppedTotal += 1
                return false
            case .block:
                if !waited {
                    waited = true
                    fileBlocked += 1
                    blockedTotal += 1
                }
                condition.wait()
            }
        }
        if closing {
            droppedTotal += 1
            return false
        }
        return true
    }

    /// Counts a staged record of `size` bytes, under the lock.
    @inline(__always)
    private func staged(_ size: Int) {
        pendingCount += 1
        let total = pending.count + inFlightBytes
        if total > filePeakBytes {
            filePeakBytes = total
            if total > peakBytes { peakBytes = total }
        }
        // Wake the writer only when a batch is worth it; its timer picks up the rest within the
        // flush interval. Keeps the event loop free of futex calls on most records.
        if pendingCount == wakeThreshold || (pending.count >= wakeBytes && pending.count - size < wakeBytes) {
            condition.broadcast()
        }
    }

    /// This file's staging figures, and a fresh start for the next file's (writer thread).
    private func takeStagingStatistics() -> TraceRecorderStatistics {
        condition.lock()
        defer { condition.unlock() }
        let statistics = TraceRecorderStatistics(peakBufferedBytes: UInt64(filePeakBytes),
                                                 bufferBytes: UInt64(configuration.bufferBytes), blockedRecords: fileBlocked)
        filePeakBytes = pending.count + inFlightBytes
        fileBlocked = 0
        return statistics
    }

    // MARK: writer thread

    private func runWriter() {
        // Named for `top -H` and /proc/<pid>/task/*/comm (at most 15 characters on Linux).
        #if os(Linux)
        if let comm = fopen("/proc/thread-self/comm", "w") {
            fputs("protoo-trace-wr", comm)
            fclose(comm)
        }
        #endif
        var batch = ByteStore(capacity: 64 * 1024)
        let interval = UInt64(max(1, configuration.flushInterval.nanoseconds))
        var nextFlush = DispatchTime.now().uptimeNanoseconds + interval
        while true {
            condition.lock()
            while pendingCount < wakeThreshold && pending.count < wakeBytes && !overflowed && !closing
                    && flushRequested == flushCompleted {
                let now = DispatchTime.now().uptimeNanoseconds
                if now >= nextFlush { break }
                writerSleeping = true
                _ = condition.wait(until: Date(timeIntervalSinceNow: Double(nextFlush - now) / 1e9))
                writerSleeping = false
            }
            swap(&pending, &batch)
            inFlightBytes = batch.count
            overflowed = false
            pendingCount = 0
            let dropped = droppedPending
            droppedPending = 0
            let flushTarget = flushRequested
            let closeNow = closing
            if configuration.overflowPolicy == .block { condition.broadcast() }
            condition.unlock()

            writeBatch(batch, dropped: dropped)
            // A burst of big records leaves a big buffer: give it back rather than keep it resident.
            if batch.capacity > 8 << 20 { batch = ByteStore(capacity: 64 * 1024) } else { batch.removeAll() }
            let now = DispatchTime.now().uptimeNanoseconds
            var error: TraceError?
            if now >= nextFlush || flushTarget > flushCompleted || closeNow {
                error = perform { () throws(TraceError) in try writer.flush() }
                nextFlush = now + interval
            }
            if closeNow, error == nil {
                let statistics = takeStagingStatistics()
                error = perform { () throws(TraceError) in
                    writer.recordStaging(statistics)
                    try writer.close(endTime: nil)
                }
            }

            condition.lock()
            inFlightBytes = 0
            if let error, failure == nil { failure = error }
            flushCompleted = flushTarget
            if closeNow { finished = true }
            condition.broadcast()
            condition.unlock()
            if closeNow { return }
        }
    }

    private func writeBatch(_ batch: ByteStore, dropped: UInt64) {
        guard !writerFailed else { return }
        writer.recordDropped(dropped)
        let error = perform { () throws(TraceError) in
            try StagedRecords.forEach(in: batch) { (kind, time, connection, body) throws(TraceError) in
                try rotateIfNeeded(before: time)
                try writer.writeEncoded(kind: kind, time: time, connection: connection, body: body)
            }
        }
        if let error {
            condition.lock()
            if failure == nil { failure = error }
            condition.unlock()
        }
    }

    private func rotateIfNeeded(before time: Int64) throws(TraceError) {
        defer { if writerFileStart == nil { writerFileStart = time } }
        var rotate = false
        if let limit = configuration.rotateBytes, writer.bytesWritten >= limit, writer.recordCount > 0 { rotate = true }
        if let interval = configuration.rotateInterval, let start = writerFileStart,
           time &- start >= interval.nanoseconds { rotate = true }
        guard rotate else { return }
        writer.recordStaging(takeStagingStatistics())
        try writer.close(endTime: nil)
        writerFileIndex += 1
        writer = try Self.openWriter(configuration, index: writerFileIndex)
        writerFileStart = time
        let path = writer.path
        condition.lock()
        filePaths.append(path)
        condition.unlock()
    }

    /// Runs `body`, logging and returning its error; after an error the writer stops writing.
    private func perform(_ body: () throws(TraceError) -> Void) -> TraceError? {
        guard !writerFailed else { return nil }
        do {
            try body()
            return nil
        } catch {
            writerFailed = true
            logger.error("trace recording stopped", metadata: ["path": "\(writer.path)", "error": "\(error)"])
            return error
        }
    }

    /// A binary writer, or a JSON-lines one for a `.jsonl` path (same records, same rotation).
    private static func openWriter(_ c: TraceRecorderConfiguration, index: Int) throws(TraceError) -> any RecordingOutput {
        var header = c.header
        header.createdAtUnixNanoseconds = Int64(Date().timeIntervalSince1970 * 1e9)
        let path = TraceFileNaming.path(base: c.path, index: index)
        if TraceFiles.isJSONLines(c.path) {
            return try JSONLinesTraceWriter(path: path, header: header, redactor: c.writerOptions.redactor)
        }
        return try TraceWriter(path: path, header: header, options: c.writerOptions)
    }
}
