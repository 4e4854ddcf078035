import Foundation
import Protoo
import ProtooTestSupport
import Testing
@testable import ProtooTrace

/// `protoo trace cat / cut / convert / info` on damaged traces and on outputs that are their inputs,
/// run as the executable.
@Suite struct TraceToolTests {
    let records = numberedRecords(3000, connections: 7)

    /// A trace of ``records`` in a fresh directory, with its bytes and layout.
    private func trace(_ name: String = "t.ptrace.zst") throws -> (path: String, bytes: [UInt8], layout: TraceLayout) {
        let path = temporaryPath(name)
        try writeTrace(records, to: path, flushBytes: 600, frameBytes: 6000)
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        return (path, bytes, TraceLayout(bytes))
    }

    /// `bytes` with one byte flipped, written beside `path` as `name`.
    private func flipped(_ bytes: [UInt8], at offset: Int64, besides path: String, name: String) throws -> String {
        var damaged = bytes
        damaged[Int(offset)] ^= 0x10
        let out = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(name).path
        try Data(damaged).write(to: URL(fileURLWithPath: out))
        return out
    }

    /// A trace damaged in a data block three quarters in: the records the library verifies before
    /// the error, and the error's offset.
    private func damagedInTheRecords() throws -> (path: String, verified: Int, offset: Int64, original: String) {
        let (path, bytes, layout) = try trace()
        let frame = layout.frames[layout.frames.count * 3 / 4]
        let block = frame.blocks[frame.blocks.count / 2]
        let damaged = try flipped(bytes, at: (block.start + block.end) / 2, besides: path, name: "damaged.ptrace.zst")
        let reader = try TraceReader(path: damaged)
        var verified = 0
        do {
            while try reader.next() != nil { verified += 1 }
            Issue.record("the damage went unnoticed")
            return (damaged, verified, -1, path)
        } catch {
            guard case .corrupt(let offset, _) = error.kind else { throw error }
            return (damaged, verified, offset, path)
        }
    }

    private func files(in directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }

    private func lines(_ records: some Sequence<TraceRecord>) -> String {
        records.map { TraceJSONLines.encode($0) + "\n" }.joined()
    }

    // MARK: cat on damaged records

    @Test func catPrintsEveryVerifiedRecordBeforeTheDamageThenTheError() throws {
        let (path, verified, offset, _) = try damagedInTheRecords()
        #expect(verified > 1000 && verified < records.count)
        let cat = try ProtooTool.run(["trace", "cat", path])
        #expect(cat.status != 0)
        #expect(cat.outputLines == verified, "cat printed \(cat.outputLines) of the \(verified) verified records")
        #expect(String(decoding: cat.output, as: UTF8.self) == lines(records.prefix(verified)))
        #expect(cat.error.contains("corrupt at byte offset \(offset)"), "\(cat.error)")
    }

    @Test func catSkippingDamagePrintsTheIntactFramesAfterItToo() throws {
        let (path, verified, _, _) = try damagedInTheRecords()
        let cat = try ProtooTool.run(["trace", "cat", "--skip-damaged", path])
        #expect(cat.status != 0, "the damage still fails the command")
        #expect(cat.error.contains("skipped bytes"), "\(cat.error)")
        let text = String(decoding: cat.output, as: UTF8.self)
        #expect(text.hasPrefix(lines(records.prefix(verified))))
        #expect(cat.outputLines > verified)
        #expect(text.hasSuffix(lines(records.suffix(cat.outputLines - verified - 1).suffix(100))))
    }

    // MARK: cut and convert: their outputs

    @Test func cutAndConvertRefuseTheirInputAsOutputHoweverItIsSpelled() throws {
        let (path, bytes, _) = try trace("in.ptrace.zst")
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        let link = directory.appendingPathComponent("link.ptrace.zst").path
        let hard = directory.appendingPathComponent("hard.ptrace.zst").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "in.ptrace.zst")
        try FileManager.default.linkItem(atPath: path, toPath: hard)
        let spellings = [path, "./in.ptrace.zst", "in.ptrace.zst", link, hard,
                         "../\(directory.lastPathComponent)/in.ptrace.zst", directory.path + "//./in.ptrace.zst"]
        for output in spellings {
            for arguments in [["trace", "convert", "in.ptrace.zst", output], ["trace", "cut", "./in.ptrace.zst", "-o", output],
                              ["trace", "cut", path, "--from", "1s", "-o", output]] {
                let run = try ProtooTool.run(arguments, in: directory.path)
                #expect(run.status != 0, "\(arguments) succeeded")
                #expect(run.error.contains("is the input"), "\(arguments): \(run.error)")
                #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == bytes, "\(arguments) changed the input")
            }
        }
        #expect(try TraceReader(path: path).readAll() == records)
        #expect(try files(in: directory.path) == ["hard.ptrace.zst", "in.ptrace.zst", "link.ptrace.zst"], "no partial output left")
    }

    @Test func aFailedCopyLeavesNoPartialOutputAndTheOldOutputUntouched() throws {
        let (damaged, verified, _, good) = try damagedInTheRecords()
        let directory = URL(fileURLWithPath: damaged).deletingLastPathComponent().path
        let output = directory + "/out.jsonl"
        let previous = Data("{\"kind\":\"header\"}\n".utf8)
        try previous.write(to: URL(fileURLWithPath: output))
        let before = try files(in: directory)
        for arguments in [["trace", "convert", damaged, output], ["trace", "cut", damaged, "--to", "2s", "-o", output]] {
            let run = try ProtooTool.run(arguments)
            #expect(run.status != 0, "\(arguments) succeeded on a damaged trace")
            #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == previous, "\(arguments) touched the old output")
            #expect(try files(in: directory) == before, "\(arguments) left a partial file")
        }
        // Success replaces the old output, through a symbolic link too (the link stays).
        let run = try ProtooTool.run(["trace", "convert", good, output])
        #expect(run.status == 0, "\(run.error)")
        #expect(try files(in: directory) == before)
        let converted = try JSONLinesTraceReader(path: output)
        var n = 0
        while try converted.next() != nil { n += 1 }
        #expect(n == records.count)
        let link = directory + "/link.ptrace.zst"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "target.ptrace.zst")
        #expect(try ProtooTool.run(["trace", "cut", damaged, "--salvage", "-o", link]).status == 0)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "target.ptrace.zst")
        #expect(try TraceReader(path: directory + "/target.ptrace.zst").readAll() == Array(records.prefix(verified)))
    }

    /// A copy of a cut-off trace is a complete file whose trailer says its source ended early (so a
    /// replay of the copy knows it is cut off too).
    @Test func aCopyOfATruncatedTraceSaysItsSourceEndedEarly() throws {
        let (path, bytes, _) = try trace()
        let cut = directory(of: path) + "/cut.ptrace.zst"
        try Data(bytes.prefix(bytes.count / 2)).write(to: URL(fileURLWithPath: cut))
        let truncated = try TraceReader(path: cut)
        let kept = try truncated.readAll().count
        let copy = directory(of: path) + "/copy.ptrace.zst"
        let run = try ProtooTool.run(["trace", "convert", cut, copy])
        #expect(run.status == 0, "\(run.error)")
        #expect(run.error.contains("trace ends early"), "\(run.error)")
        let reader = try TraceReader(path: copy)
        #expect(try reader.readAll().count == kept)
        #expect(reader.isComplete)
        #expect(reader.trailer?.sourceEndedEarly == truncated.truncation?.description)
    }

    // MARK: damage outside the records

    /// A byte flipped in an index frame, the trailer or the footer: every tool still sees every record.
    @Test(arguments: ["index", "trailer", "trailer size", "footer magic", "footer"])
    func damagedMetadataLosesNoRecordInAnyTool(target: String) throws {
        let (path, bytes, layout) = try trace()
        let offset: Int64 = switch target {
        case "index": layout.frames[1].index + 20
        case "trailer": (layout.trailer + layout.footer) / 2
        case "trailer size": layout.trailer + 5
        case "footer magic": layout.footer + 1
        default: layout.size - 2
        }
        let damaged = try flipped(bytes, at: offset, besides: path, name: "meta.ptrace.zst")
        let cat = try ProtooTool.run(["trace", "cat", damaged])
        #expect(cat.status == 0, "\(cat.error)")
        #expect(cat.outputLines == records.count)
        #expect(cat.error.contains("metadata is damaged at byte offset"), "\(cat.error)")
        let info = try ProtooTool.run(["trace", "info", "--json", damaged])
        #expect(info.status == 0, "\(info.error)")
        let json = try JSONParser.parse(String(decoding: info.output, as: UTF8.self))
        #expect(json["records"] == .int(Int64(records.count)))
        #expect(json["metadataDamage"]?.arrayValue?.isEmpty == false)
        let cut = directory(of: path) + "/cut.ptrace.zst"
        let run = try ProtooTool.run(["trace", "cut", damaged, "--to", "10m", "-o", cut])
        #expect(run.status == 0, "\(run.error)")
        let copy = try TraceReader(path: cut)
        #expect(try copy.readAll() == records)
        #expect(copy.damages.isEmpty && copy.isComplete && copy.trailer?.sourceEndedEarly == nil)
    }

    /// Every error and warning that names a command names one that works as it says.
    @Test func everyHintInAnErrorMessageIsACommandThatWorks() throws {
        // Damage to the records: `cut --salvage` keeps every verified record, and says so in the copy.
        let (damaged, verified, offset, _) = try damagedInTheRecords()
        let copy = directory(of: damaged) + "/salvaged.ptrace.zst"
        let cat = try ProtooTool.run(["trace", "cat", damaged])
        let salvage = try #require(hintedCommand(in: cat.error, replacing: ["FILE": damaged, "COPY": copy]), "no hint in: \(cat.error)")
        let salvaged = try ProtooTool.run(salvage)
        #expect(salvaged.status == 0, "\(salvage): \(salvaged.error)")
        let reader = try TraceReader(path: copy)
        #expect(try reader.readAll() == Array(records.prefix(verified)))
        #expect(reader.isComplete)
        #expect(reader.trailer?.sourceEndedEarly?.contains("byte offset \(offset)") == true)

        // Damaged metadata: `convert` writes a copy whose metadata is intact.
        let (path, bytes, layout) = try trace("meta.ptrace.zst")
        let meta = try flipped(bytes, at: layout.trailer + 9, besides: path, name: "trailer-damaged.ptrace.zst")
        let repaired = directory(of: path) + "/repaired.ptrace.zst"
        let warned = try ProtooTool.run(["trace", "cat", meta])
        let convert = try #require(hintedCommand(in: warned.error, replacing: ["FILE": meta, "COPY": repaired]), "no hint in: \(warned.error)")
        #expect(try ProtooTool.run(convert).status == 0)
        let fixed = try TraceReader(path: repaired)
        #expect(try fixed.readAll() == records)
        #expect(fixed.damages.isEmpty && fixed.isComplete)

        // Output over the input: write elsewhere, then rename over it.
        let refused = try ProtooTool.run(["trace", "convert", path, path])
        #expect(refused.error.contains("write to another path, then rename it over the input"), "\(refused.error)")
        let other = directory(of: path) + "/other.jsonl"
        #expect(try ProtooTool.run(["trace", "convert", path, other]).status == 0)
        #expect(rename(other, path + ".jsonl") == 0)
    }

    private func directory(of path: String) -> String { URL(fileURLWithPath: path).deletingLastPathComponent().path }

    // MARK: finding what diverged

    /// Two peers in two rooms, a request each way, a notification.
    private func conversation() throws -> String {
        let path = temporaryPath("conversation.ptrace.zst")
        try writeTrace([
            TraceRecord(time: 1_000_000_000, connection: 1, event: .connectionRequested(target: "/?roomId=r1&peerId=alice", headers: [], remoteAddress: "a")),
            TraceRecord(time: 1_100_000_000, connection: 1, event: .accepted),
            TraceRecord(time: 1_200_000_000, connection: 2, event: .connectionRequested(target: "/?roomId=r2&peerId=bob", headers: [], remoteAddress: "b")),
            TraceRecord(time: 1_300_000_000, connection: 2, event: .accepted),
            TraceRecord(time: 2_000_000_000, connection: 1, event: .messageIn(#"{"request":true,"id":1,"method":"join","data":{"displayName":"Ann"}}"#)),
            TraceRecord(time: 2_500_000_000, connection: 1, event: .messageOut(#"{"response":true,"id":1,"ok":true,"data":{"peers":[]}}"#)),
            TraceRecord(time: 3_000_000_000, connection: 2, event: .messageOut(#"{"request":true,"id":9,"method":"ask","data":{}}"#)),
            TraceRecord(time: 3_250_000_000, connection: 2, event: .messageIn(#"{"response":true,"id":9,"ok":true,"data":{"a":1}}"#)),
            TraceRecord(time: 4_000_000_000, connection: 2, event: .messageOut(#"{"notification":true,"method":"join","data":{"peer":"alice"}}"#)),
            TraceRecord(time: 5_000_000_000, connection: 1, event: .closed(code: 1000, reason: "bye", initiator: .client)),
        ], to: path)
        return path
    }

    private func cat(_ arguments: [String]) throws -> [JSONValue] {
        let run = try ProtooTool.run(["trace", "cat"] + arguments)
        #expect(run.status == 0, "\(run.error)")
        return try run.outputText.split(separator: "\n").map { try JSONParser.parse(String($0)) }
    }

    @Test func catFiltersByPeerRoomMethodConnectionAndTime() throws {
        let path = try conversation()
        #expect(try cat([path, "--peer", "alice"]).map { $0["conn"] } == [1, 1, 1, 1, 1])
        #expect(try cat([path, "--room", "r2"]).count == 5)
        // A response is its request's method, whichever side asked.
        #expect(try cat([path, "--method", "join"]).map { $0["t"] } == [2_000_000_000, 2_500_000_000, 4_000_000_000])
        #expect(try cat([path, "--method", "ask"]).count == 2)
        #expect(try cat([path, "--conn", "2", "--method", "join"]).count == 1)
        #expect(try cat([path, "--from", "2.4s", "--to", "3.25s"]).map { $0["t"] } == [2_500_000_000, 3_000_000_000, 3_250_000_000])
        #expect(try cat([path, "--peer", "nobody"]).isEmpty)
    }

    @Test func catMessagesPrintsSecondsPeersMethodsAndTheMessageAsJSON() throws {
        let path = try conversation()
        let lines = try cat([path, "--messages", "--method", "join"])
        #expect(lines.count == 3)
        #expect(lines[0]["t"]?.doubleValue == 2.0)
        #expect(lines[0]["peer"] == "alice")
        #expect(lines[0]["room"] == "r1")
        #expect(lines[0]["method"] == "join")
        #expect(lines[0]["message"]?["data"]?["displayName"] == "Ann")   // an object, not an escaped string
        #expect(lines[1]["message"]?["ok"] == true)
        let all = try cat([path, "--messages"])
        #expect(all.first?["kind"] == "connectionRequested")
        #expect(all.last?["initiator"] == "client")
        #expect(try ProtooTool.run(["trace", "cat", path, "--messages", "--all"]).status == 2)
    }
}
