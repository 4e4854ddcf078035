import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import ProtooVerdict
import Testing

@Suite struct JUnitReportTests {
    @Test func theDocumentIsWellFormedAndEscapesWhatClientsSent() throws {
        let report = JUnitReport(suiteName: "replay <a & b>", seconds: 1.5, testCases: [
            .init(name: "connection #1 peer \"x\"", className: "replay", seconds: 0.25),
            .init(name: "connection #2 peer '<y>'", className: "replay",
                  failure: ("1 divergence: mismatch in echo at data.a", "expected: {\"a\":1}\nactual:   {\"a\":2}\u{0}\u{1B}")),
            .init(name: "connection #3", className: "replay", skipped: "refused by the recording's proxy"),
        ])
        let xml = report.xml
        final class Collect: NSObject, XMLParserDelegate {
            var elements: [(String, [String: String])] = []
            var text = ""
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                        attributes: [String: String] = [:]) { elements.append((name, attributes)) }
            func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
        }
        let parser = XMLParser(data: Data(xml.utf8))
        let collect = Collect()
        parser.delegate = collect
        #expect(parser.parse(), "\(xml)")
        #expect(collect.elements.map(\.0) == ["testsuites", "testsuite", "testcase", "testcase", "failure", "testcase", "skipped"])
        let suite = collect.elements[1].1
        #expect(suite["tests"] == "3")
        #expect(suite["failures"] == "1")
        #expect(suite["skipped"] == "1")
        #expect(suite["name"] == "replay <a & b>")
        #expect(collect.elements[3].1["name"] == "connection #2 peer '<y>'")
        #expect(collect.text.contains("actual:   {\"a\":2}"))

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("junit-\(getpid()).xml").path
        try report.write(to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == xml)
        try? FileManager.default.removeItem(atPath: path)
    }
}
