import Foundation
import ProtooScenarioLoad
import ProtooScenarios
import ProtooSimulator
import Testing

/// docs/load.md's Swift example compiles here, as written (it runs a minute: compiled, not run).
@Suite struct LoadGuideTests {
    static func guideExample() async throws {
        var configuration = ScenarioLoad.Configuration(url: "ws://127.0.0.1:4443/")
        configuration.clients.rooms = 20
        configuration.clients.duration = .seconds(60)
        configuration.clients.faults = .light
        let report = try await ScenarioLoad(configuration, scenario: .conference).run()
        print(report.text, report.invariantBreaks)
    }

    @Test func everySwiftBlockOfTheGuideIsCompiledHere() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let guide = try String(contentsOf: root.appendingPathComponent("docs/load.md"), encoding: .utf8)
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let blocks = guide.components(separatedBy: "```swift\n").dropFirst().map { $0.components(separatedBy: "```").first ?? "" }
        #expect(!blocks.isEmpty)
        for line in blocks.flatMap({ $0.split(separator: "\n") }) {
            #expect(source.contains(line.trimmingCharacters(in: .whitespaces)), "docs/load.md's `\(line)` is not in this compiled test")
        }
    }
}
