#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Protoo

/// Reads a JSON-lines trace line by line in constant memory (plus the longest line).
public final class JSONLinesTraceReader: TraceRecordSource {
    /// The header line, or a default header when the file has none.
    public private(set) var header: TraceHeader
    /// The trailer line's dropped-record count, once read.
    public private(set) var droppedRecords: UInt64 = 0
    /// The trailer line's `sourceEndedEarly` (a copy of a trace that ended early), once read.
    public private(set) var sourceEndedEarly: String?
    private let input: FileInput
    private var lineNumber = 0
    private var pendingLine: TraceJSONLines.Line?

    public init(path: String) throws(TraceError) {
        input = try FileInput(path: path)
        header = TraceHeader(createdAtUnixNanoseconds: 0, producerName: "jsonl", producerVersion: "", host: "")
        if let first = try nextLine() {
            if case .header(let h) = first { header = h } else { pendingLine = first }
        }
    }

    public func next() throws(TraceError) -> TraceRecord? {
        while true {
            let line: TraceJSONLines.Line
            if let p = pendingLine {
                line = p
                pendingLine = nil
            } else {
                guard let l = try nextLine() else { return nil }
                line = l
            }
            switch line {
            case .record(let r): return r
            case .trailer(let dropped, _): droppedRecords = dropped
            case .header: throw TraceError.invalidJSONLine(line: lineNumber, reason: "a header line is only allowed first")
            }
        }
    }

    /// The next non-blank line, decoded.
    private func nextLine() throws(TraceError) -> TraceJSONLines.Line? {
        while true {
            var length = 0
            var found = false
            while !found {
                let window = input.window
                if let p = window.baseAddress, let nl = memchr(p + length, 0x0A, window.count - length) {
                    length = p.distance(to: UnsafeRawPointer(nl))
                    found = true
                } else {
                    length = window.count
                    guard try input.fill(atLeast: length + 1) else { break }
                }
            }
            if length == 0 && !found { return nil }
            let bytes = UnsafeRawBufferPointer(rebasing: input.window[0..<length])
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw TraceError.invalidJSONLine(line: lineNumber + 1, reason: "not valid UTF-8")
            }
            input.consume(found ? length + 1 : length)
            lineNumber += 1
            if text.allSatisfy({ $0.isWhitespace }) { continue }
            let line = try TraceJSONLines.decode(text, line: lineNumber)
            if case .trailer = line, let note = (try? JSONParser.parse(text))?["sourceEndedEarly"]?.stringValue {
                sourceEndedEarly = note
            }
            return line
        }
    }
}
