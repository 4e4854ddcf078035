import Foundation
import Protoo
import Testing
@testable import ProtooTrace

@Suite struct RecorderTests {
    private func configuration(_ path: String, capacity: Int = 1024, policy: TraceOverflowPolicy = .block,
                               rotateBytes: Int64? = nil, rotateInterval: Duration? = nil,
                               redactor: TraceRedactor? = nil) -> TraceRecorderConfiguration {
        TraceRecorderConfiguration(path: path, header: testHeader,
                                   writerOptions: TraceWriterOptions(flushBytes: 2048, frameBytes: 16 * 1024, redactor: redactor),
                                   capacity: capacity, overflowPolicy: policy, flushInterval: .milliseconds(50),
                                   rotateBytes: rotateBytes, rotateInterval: rotateInterval)
    }

    private func readAll(_ paths: [String]) throws -> [TraceRecord] {
        var all: [TraceRecord] = []
        for p in paths { all += try TraceReader(path: p).readAll() }
        return all
    }

    @Test(.timeLimit(.minutes(1))) func concurrentProducersLoseNothingAndKeepOrderPerConnection() throws {
        let path = temporaryPath("rec.ptrace")
        let recorder = try TraceRecorder(configuration: configuration(path, capacity: 64))
        let threads = 4, perThread = 5000
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            for i in 0..<perThread {
                let conn = ConnectionID(t * 10 + i % 3 + 1)
                recorder.messageSent(conn, at: Instant(nanoseconds: 42 + Int64(i)), text: "\(t) \(i)")
            }
        }
        try recorder.close()
        let reader = try TraceReader(path: path)
        let records = try reader.readAll()
        #expect(records.count == threads * perThread)
        #expect(reader.trailer?.droppedRecords == 0)
        var last: [ConnectionID: Int] = [:]
        for r in records {
            guard case .messageOut(let text) = r.event else { Issue.record("unexpected \(r)"); continue }
            let i = Int(text.split(separator: " ")[1])!
            #expect(i > last[r.connection, default: -1], "connection \(r.connection) out of order")
            #expect(r.time == Int64(i), "times are relative to the header origin")
            last[r.connection] = i
        }
    }

    /// A message handed over as bytes (what the engine's transports and the simulator's links do)
    /// is recorded exactly as the same message given as text.
    @Test(.timeLimit(.minutes(1))) func bytesAndTextRecordTheSameRecords() throws {
        let texts = ["", "a", #"{"notification":true,"method":"x","data":{"é":"€"}}"#, String(repeating: "z", count: 70_000)]
        var recorded: [[TraceRecord]] = []
        for asBytes in [false, true] {
            let path = temporaryPath(asBytes ? "bytes.ptrace" : "text.ptrace")
            let recorder = try TraceRecorder(configuration: configuration(path))
            for (i, text) in texts.enumerated() {
                let at = Instant(nanoseconds: Int64(i))
                if asBytes {
                    var copy = text
                    copy.withUTF8 { utf8 in
                        recorder.messageSent(3, at: at, utf8: UnsafeRawBufferPointer(utf8))
                        recorder.messageReceived(4, at: at, utf8: UnsafeRawBufferPointer(utf8))
                    }
                } else {
                    recorder.messageSent(3, at: at, text: text)
                    recorder.messageReceived(4, at: at, text: text)
                }
            }
            try recorder.close()
            recorded.append(try TraceReader(path: path).readAll())
        }
        #expect(recorded[0].count == texts.count * 2)
        #expect(recorded[0] == recorded[1])
    }

    @Test(.timeLimit(.minutes(1))) func dropPolicyCountsEveryDroppedRecord() throws {
        let path = temporaryPath("drop.ptrace")
        let recorder = try TraceRecorder(configuration: configuration(path, capacity: 1, policy: .dropNewest))
        let total = 20_000
        for i in 0..<total { recorder.messageReceived(1, at: Instant(nanoseconds: Int64(i)), text: "m\(i)") }
        try recorder.close()
        let dropped = recorder.droppedRecords
        let reader = try TraceReader(path: path)
        let records = try reader.readAll()
        #expect(dropped > 0)
        #expect(UInt64(records.count) + dropped == UInt64(total))
        #expect(reader.trailer?.droppedRecords == dropped)
        let order = records.map(\.time)
        #expect(order == order.sorted())
    }

    /// The buffer is bounded in bytes, not only in records. Big records (200 kB,
    /// far fewer than `capacity`) meet the overflow policy at the byte bound, and each file's
    /// trailer carries the counters and the peak.
    @Test(.timeLimit(.minutes(1)), arguments: [TraceOverflowPolicy.dropNewest, .block])
    func theBufferIsBoundedInBytesAndTheTrailerReportsThePeak(policy: TraceOverflowPolicy) throws {
        let path = temporaryPath("bytes.ptrace")
        let bound = 1 << 20
        var c = configuration(path, capacity: 65_536, policy: policy)
        c.bufferBytes = bound
        let recorder = try TraceRecorder(configuration: c)
        let big = String(repeating: "0123456789abcdef", count: 200_000 / 16)
        let recordSize = StagedRecords.messageSize(big.utf8.count)
        let total = 400
        for i in 0..<total { recorder.messageSent(1, at: Instant(nanoseconds: 42 + Int64(i)), text: big) }
        #expect(recorder.peakBufferedBytes <= bound, "the buffer held more than its bound")
        try recorder.close()
        let reader = try TraceReader(path: path)
        let records = try reader.readAll()
        let trailer = try #require(reader.trailer)
        let staging = try #require(trailer.recorder, "the trailer reports the recorder's buffer")
        #expect(staging.bufferBytes == UInt64(bound))
        #expect(staging.peakBufferedBytes <= UInt64(bound))
        #expect(staging.peakBufferedBytes == UInt64(recorder.peakBufferedBytes))
        switch policy {
        case .dropNewest:
            #expect(recorder.droppedRecords > 0, "80 MB offered to a 1 MiB buffer in a tight loop: some must drop")
            #expect(UInt64(records.count) + recorder.droppedRecords == UInt64(total))
            #expect(trailer.droppedRecords == recorder.droppedRecords)
            #expect(staging.blockedRecords == 0)
        case .block:
            #expect(records.count == total)
            #expect(trailer.droppedRecords == 0)
            #expect(recorder.blockedRecords > 0, "80 MB offered to a 1 MiB buffer in a tight loop: some must wait")
            #expect(staging.blockedRecords == recorder.blockedRecords)
        }
        // Overflow happened at the byte bound: the buffer was within one record of it.
        #expect(staging.peakBufferedBytes > UInt64(bound - recordSize))
    }

    /// A record larger than the whole byte bound is taken when nothing else is staged (it is
    /// neither dropped nor blocked forever).
    @Test(.timeLimit(.minutes(1)), arguments: [TraceOverflowPolicy.dropNewest, .block])
    func aRecordLargerThanTheBoundIsTakenIntoAnEmptyBuffer(policy: TraceOverflowPolicy) throws {
        let path = temporaryPath("huge.ptrace")
        var c = configuration(path, policy: policy)
        c.bufferBytes = 64 * 1024
        let recorder = try TraceRecorder(configuration: c)
        let huge = String(repeating: "y", count: 300_000)
        recorder.messageReceived(2, at: Instant(nanoseconds: 42), text: huge)
        try recorder.close()
        let reader = try TraceReader(path: path)
        #expect(try reader.readAll() == [TraceRecord(time: 0, connection: 2, event: .messageIn(huge))])
        #expect(reader.trailer?.recorder?.peakBufferedBytes == UInt64(StagedRecords.messageSize(huge.utf8.count)))
    }

    /// Old traces (no trailer fields after the index) read with `recorder == nil`; a trailer with
    /// the new fields still ends where the index ends for a reader that stops there.
    @Test func trailerFieldsRoundTripAndOldTrailersStillRead() throws {
        var t = TraceTrailer(recordCounts: Dictionary(uniqueKeysWithValues: TraceRecordKind.allCases.map { ($0, UInt64($0.rawValue)) }), droppedRecords: 2, endTime: 99, rawBytes: 1000,
                             index: [TraceIndexEntry(frameOffset: 40, frameLength: 100, firstTime: 0, lastTime: 99, recordCount: 3)])
        let old = ByteStore()
        MetadataCoding.encodeTrailer(t, into: old)
        let oldPayload = UnsafeRawBufferPointer(rebasing: old.all[8...])
        #expect(try MetadataCoding.decodeTrailer(oldPayload, offset: 0) == t)
        t.recorder = TraceRecorderStatistics(peakBufferedBytes: 123_456, bufferBytes: 1 << 26, blockedRecords: 7)
        t.sourceEndedEarly = "damaged at byte 77"
        let new = ByteStore()
        MetadataCoding.encodeTrailer(t, into: new)
        #expect(new.count > old.count)
        let newPayload = UnsafeRawBufferPointer(rebasing: new.all[8...])
        #expect(try MetadataCoding.decodeTrailer(newPayload, offset: 0) == t)
        // The new fields come after the old ones: the old encoding is a prefix of the new payload.
        #expect(Array(new.all[8..<(old.count - 4)]) == Array(old.all[8..<(old.count - 4)]))
    }

    @Test(.timeLimit(.minutes(1))) func flushMakesRecordsReadableBeforeClose() throws {
        let path = temporaryPath("flush.ptrace")
        let recorder = try TraceRecorder(configuration: configuration(path))
        recorder.connectionRequested(7, at: Instant(nanoseconds: 50), target: "/?roomId=r&peerId=p",
                                     headers: [("Origin", "https://x"), ("X-Debug", "not recorded"), ("Cookie", "sid=abc")], remoteAddress: "1.2.3.4:5")
        recorder.connectionAccepted(7, at: Instant(nanoseconds: 60))
        recorder.connectionClosed(7, at: Instant(nanoseconds: 70), event: TransportCloseEvent(code: nil, reason: "lost", initiator: .network))
        try recorder.flush()
        let reader = try TraceReader(path: path)
        #expect(try reader.readAll() == [
            TraceRecord(time: 8, connection: 7, event: .connectionRequested(target: "/?roomId=r&peerId=p",
                                                                             headers: [TraceHeaderField(name: "Origin", value: "https://x"),
                                                                                       TraceHeaderField(name: "Cookie", value: "sid=abc")],
                                                                             remoteAddress: "1.2.3.4:5")),
            TraceRecord(time: 18, connection: 7, event: .accepted),
            TraceRecord(time: 28, connection: 7, event: .closed(code: nil, reason: "lost", initiator: .network)),
        ])
        #expect(reader.truncation?.reason.contains("incomplete") == true, "the open frame is reported")
        try recorder.close()
        #expect(try TraceReader(path: path).trailer?.totalRecords == 3)
    }

    @Test(.timeLimit(.minutes(1))) func rotatesBySizeIntoNumberedFiles() throws {
        let path = temporaryPath("rot.ptrace.zst")
        let recorder = try TraceRecorder(configuration: configuration(path, rotateBytes: 3000))
        let records = numberedRecords(4000)
        for r in records {
            recorder.messageSent(r.connection, at: Instant(nanoseconds: 42 + r.time), text: { if case .messageOut(let t) = r.event { return t } else { return "" } }())
        }
        try recorder.close()
        let files = recorder.files
        #expect(files.count > 2)
        #expect(files[1].hasSuffix(".0001.ptrace.zst"))
        #expect(try readAll(files) == records)
        for f in files { #expect(try TraceReader(path: f).isComplete) }
    }

    /// A `.jsonl` path records JSON lines: the same records as the binary format, readable after
    /// each flush, redacted the same way, rotated into `.0001.jsonl`, … files.
    @Test(.timeLimit(.minutes(1))) func jsonLinesPathRecordsJSONLines() throws {
        func readLines(_ path: String) throws -> [TraceRecord] {
            let reader = try JSONLinesTraceReader(path: path)
            var records: [TraceRecord] = []
            while let r = try reader.next() { records.append(r) }
            return records
        }
        func feed(_ recorder: TraceRecorder) {
            recorder.connectionRequested(7, at: Instant(nanoseconds: 50), target: "/?roomId=r&peerId=p&token=s3cret",
                                         headers: [("Origin", "https://x")], remoteAddress: "1.2.3.4:5")
            recorder.connectionAccepted(7, at: Instant(nanoseconds: 60))
            for i in 0..<500 { recorder.messageSent(7, at: Instant(nanoseconds: 70 + Int64(i)), text: #"{"n":\#(i),"s":"é\""}"#) }
            recorder.messageReceived(7, at: Instant(nanoseconds: 600), text: "not json at all")
            recorder.connectionClosed(7, at: Instant(nanoseconds: 700), event: TransportCloseEvent(code: 4000, reason: "bye", initiator: .local))
        }
        let redactor = TraceRedactor.stripQueryParameters(["token"])
        let binary = try TraceRecorder(configuration: configuration(temporaryPath("same.ptrace.zst"), redactor: redactor))
        feed(binary)
        try binary.close()
        let linesPath = temporaryPath("same.jsonl")
        let lines = try TraceRecorder(configuration: configuration(linesPath, redactor: redactor))
        feed(lines)
        try lines.flush()
        let expected = try readAll(binary.files)
        #expect(expected.count == 504)
        #expect(try readLines(linesPath) == expected, "readable after a flush, before the close")
        try lines.close()
        #expect(try readLines(linesPath) == expected)
        let text = try String(contentsOfFile: linesPath, encoding: .utf8)
        #expect(text.hasPrefix(#"{"kind":"header""#))
        #expect(!text.contains("s3cret"))

        let rotated = try TraceRecorder(configuration: configuration(temporaryPath("rot.jsonl"), rotateBytes: 4000))
        feed(rotated)
        try rotated.close()
        #expect(rotated.files.count > 2)
        #expect(rotated.files[1].hasSuffix("rot.0001.jsonl"))
        #expect(try rotated.files.flatMap(readLines) == expected.map { r in
            guard case .connectionRequested(_, let headers, let address) = r.event else { return r }
            return TraceRecord(time: r.time, connection: r.connection,
                               event: .connectionRequested(target: "/?roomId=r&peerId=p&token=s3cret", headers: headers, remoteAddress: address))
        })
    }

    @Test(.timeLimit(.minutes(1))) func rotatesByTraceTime() throws {
        let path = temporaryPath("time.ptrace")
        let recorder = try TraceRecorder(configuration: configuration(path, rotateInterval: .seconds(1)))
        for i in 0..<35 { recorder.marker("tick", text: "\(i)", at: Instant(nanoseconds: 42 + Int64(i) * 100_000_000)) }
        try recorder.close()
        let files = recorder.files
        #expect(files.count == 4)
        let perFile = try files.map { try TraceReader(path: $0).readAll().count }
        #expect(perFile == [10, 10, 10, 5])
    }

    /// Sends `record` through the recorder's `TrafficTap` interface.
    private func feed(_ record: TraceRecord, to recorder: TraceRecorder) {
        let at = Instant(nanoseconds: record.time + testHeader.monotonicOrigin.nanoseconds)
        switch record.event {
        case .connectionRequested(let target, let headers, let remoteAddress):
            recorder.connectionRequested(record.connection, at: at, target: target,
                                         headers: headers.map { ($0.name, $0.value) } + [("X-Debug", "not recorded")],
                                         remoteAddress: remoteAddress)
        case .accepted: recorder.connectionAccepted(record.connection, at: at)
        case .rejected(let status, let reason): recorder.connectionRejected(record.connection, at: at, status: status, reason: reason)
        case .messageIn(let text): recorder.messageReceived(record.connection, at: at, text: text)
        case .messageOut(let text): recorder.messageSent(record.connection, at: at, text: text)
        case .closed(let code, let reason, let initiator):
            let by: TransportCloseEvent.Initiator = switch initiator {
            case .server: .local
            case .client: .remote
            case .network: .network
            }
            recorder.connectionClosed(record.connection, at: at, event: TransportCloseEvent(code: code, reason: reason, initiator: by))
        case .marker(let name, let text): recorder.marker(name, text: text, at: at, connection: record.connection)
        }
    }

    /// Every record kind through the recorder (staged as bytes on the producer side, written by its
    /// thread) reads back exactly as a ``TraceWriter`` writes it, with and without a redactor.
    @Test(.timeLimit(.minutes(1)), arguments: [false, true])
    func everyKindThroughTheRecorderMatchesTheWriter(redacting: Bool) throws {
        let redactor: TraceRedactor? = redacting ? .chain([.stripQueryParameters(["token"]), .replaceJSONFields(["sdp"])]) : nil
        let recorded = temporaryPath("kinds.ptrace")
        let recorder = try TraceRecorder(configuration: configuration(recorded, redactor: redactor))
        for r in everyKind { feed(r, to: recorder) }
        try recorder.close()
        let written = temporaryPath("kinds-writer.ptrace")
        let writer = try TraceWriter(path: written, header: testHeader, options: TraceWriterOptions(redactor: redactor))
        for r in everyKind { try writer.write(r) }
        try writer.close()
        let viaRecorder = try TraceReader(path: recorded).readAll()
        #expect(viaRecorder == (try TraceReader(path: written).readAll()))
        #expect(viaRecorder.count == everyKind.count)
        if redacting {
            #expect(!viaRecorder.map(TraceJSONLines.encode).joined().contains("secret"))
        } else {
            #expect(viaRecorder == everyKind)
        }
    }

    /// Message records are staged in one reserved write with their varint length: every length
    /// class round-trips.
    @Test(.timeLimit(.minutes(1))) func messagesOfEveryLengthClassRoundTrip() throws {
        let path = temporaryPath("lengths.ptrace")
        let recorder = try TraceRecorder(configuration: configuration(path))
        let lengths = [0, 1, 127, 128, 16_383, 16_384, 70_000]
        for (i, n) in lengths.enumerated() {
            let text = String(repeating: "é", count: n / 2) + String(repeating: "x", count: n % 2)
            recorder.messageReceived(ConnectionID(i), at: Instant(nanoseconds: 100 + Int64(i)), text: text)
            recorder.messageSent(ConnectionID(i), at: Instant(nanoseconds: 100 + Int64(i)), text: text + "!")
        }
        try recorder.close()
        let records = try TraceReader(path: path).readAll()
        #expect(records.count == 2 * lengths.count)
        for (i, n) in lengths.enumerated() {
            let text = String(repeating: "é", count: n / 2) + String(repeating: "x", count: n % 2)
            #expect(records[2 * i] == TraceRecord(time: 58 + Int64(i), connection: ConnectionID(i), event: .messageIn(text)))
            #expect(records[2 * i + 1] == TraceRecord(time: 58 + Int64(i), connection: ConnectionID(i), event: .messageOut(text + "!")))
        }
    }

    @Test func redactionRemovesQueryParametersAndJSONFields() throws {
        let path = temporaryPath("red.ptrace")
        let redactor = TraceRedactor.chain([.stripQueryParameters(["token"]), .replaceJSONFields(["sdp", "password"])])
        let writer = try TraceWriter(path: path, header: testHeader, options: TraceWriterOptions(redactor: redactor))
        for r in everyKind { try writer.write(r) }
        try writer.write(TraceRecord(time: 9, connection: 1, event: .messageOut(#"{"a":[{"password":{"x":1}}],"b":"password"}"#)))
        try writer.write(TraceRecord(time: 9, connection: 1, event: .messageOut(#"not json "sdp" v=0 secret"#)))
        try writer.close()
        let records = try TraceReader(path: path).readAll()
        #expect(records[0].event == .connectionRequested(target: "/?roomId=r1&peerId=p1",
                                                         headers: [TraceHeaderField(name: "Origin", value: "https://a.example")],
                                                         remoteAddress: "127.0.0.1:5000"))
        #expect(records[3].event == .messageIn(#"{"request":true,"id":1,"method":"join","data":{"sdp":"[redacted]"}}"#))
        #expect(records[4] == everyKind[4])
        #expect(records[9].event == .messageOut(#"{"a":[{"password":"[redacted]"}],"b":"password"}"#))
        #expect(records[10].event == .messageOut("[redacted]"))
        let cat = records.map(TraceJSONLines.encode).joined()
        #expect(!cat.contains("secret"))
        // Only the token parameter goes; a target without it is untouched.
        #expect(URLRedaction.strip("/?token=a&roomId=r", names: ["token"]) == "/?roomId=r")
        #expect(URLRedaction.strip("/?t%6Fken=a", names: ["token"]) == "/")
        #expect(URLRedaction.strip("/?roomId=r", names: ["token"]) == "/?roomId=r")
    }

    @Test func cookieAndAuthorizationAreKeptUnlessRedacted() throws {
        let path = temporaryPath("credentials.ptrace")
        let recorder = try TraceRecorder(configuration: configuration(path))
        let headers = [("Cookie", "sid=abc"), ("Authorization", "Bearer xyz"), ("Origin", "https://x")]
        recorder.connectionRequested(1, at: Instant(nanoseconds: 50), target: "/?peerId=p&token=t", headers: headers, remoteAddress: "a")
        try recorder.close()
        guard case .connectionRequested(_, let kept, _) = try TraceReader(path: path).readAll()[0].event else {
            Issue.record("no connection record")
            return
        }
        #expect(kept.map(\.name) == ["Cookie", "Authorization", "Origin"])

        let redacted = temporaryPath("redacted.ptrace")
        let redactor = TraceRedactor.chain([.stripQueryParameters(["token", "cookie"]), .stripHeaders(["token", "cookie"])])
        let writer = try TraceWriter(path: redacted, header: testHeader, options: TraceWriterOptions(redactor: redactor))
        try writer.write(TraceRecord(time: 1, connection: 1, event: .connectionRequested(
            target: "/?peerId=p&token=t", headers: kept, remoteAddress: "a")))
        try writer.close()
        #expect(try TraceReader(path: redacted).readAll()[0].event == .connectionRequested(
            target: "/?peerId=p", headers: [TraceHeaderField(name: "Authorization", value: "Bearer xyz"), TraceHeaderField(name: "Origin", value: "https://x")],
            remoteAddress: "a"))
    }

    @Test func bodyPathsAreRecordedRedacted() throws {
        let path = temporaryPath("body.ptrace")
        let paths = ["data.displayName", "data.peers[*].displayName", "data.**.sdp"].compactMap(JSONPathPattern.init)
        let writer = try TraceWriter(path: path, header: testHeader, options: TraceWriterOptions(redactor: .replaceJSONPaths(paths)))
        let join = #"{"request":true,"id":1,"method":"join","data":{"displayName":"Ann","device":{"displayName":"kept"}}}"#
        let peers = #"{"response":true,"id":1,"ok":true,"data":{"peers":[{"id":"a","displayName":"Bob"},{"id":"b"}]}}"#
        let offer = #"{"notification":true,"method":"offer","data":{"x":{"y":{"sdp":"v=0"}}}}"#
        let untouched = #"{"notification":true,"method":"other","data":{"name":"displayName"}}"#
        for (i, text) in [join, peers, offer, untouched].enumerated() {
            try writer.write(TraceRecord(time: Int64(i), connection: 1, event: i == 0 ? .messageIn(text) : .messageOut(text)))
        }
        try writer.write(TraceRecord(time: 9, connection: 1, event: .messageIn(#"not json "displayName": Ann"#)))
        try writer.close()
        let texts = try TraceReader(path: path).readAll().map { r -> String in
            switch r.event {
            case .messageIn(let t), .messageOut(let t): return t
            default: return ""
            }
        }
        #expect(texts == [
            #"{"request":true,"id":1,"method":"join","data":{"displayName":"[redacted]","device":{"displayName":"kept"}}}"#,
            #"{"response":true,"id":1,"ok":true,"data":{"peers":[{"id":"a","displayName":"[redacted]"},{"id":"b"}]}}"#,
            #"{"notification":true,"method":"offer","data":{"x":{"y":{"sdp":"[redacted]"}}}}"#,
            untouched,
            "[redacted]",
        ])
    }
}
