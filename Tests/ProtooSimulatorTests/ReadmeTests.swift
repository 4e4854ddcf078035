import Foundation
import ProtooTestSupport
import Testing

/// The README keeps its promises: its Swift code is compiled by a test, the products it names
/// exist, and its trace and replay commands run as written.
@Suite struct ReadmeTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Block {
        var language: String
        var lines: [String]
    }

    static func blocks(of markdown: String) -> [Block] {
        var blocks: [Block] = []
        var current: Block?
        for line in markdown.components(separatedBy: "\n") {
            if line.hasPrefix("```") {
                if let block = current {
                    blocks.append(block)
                    current = nil
                } else {
                    current = Block(language: String(line.dropFirst(3)), lines: [])
                }
            } else {
                current?.lines.append(line)
            }
        }
        return blocks
    }

    static func readme() throws -> String {
        try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
    }

    /// A line as compared: trailing `// comment` removed, whitespace collapsed, the README's port
    /// (4443) read as the tests' (0, or the server's own).
    static func normalized(_ line: String) -> String {
        var text = line
        if let comment = text.range(of: #"\s+//\s.*$"#, options: .regularExpression) { text.removeSubrange(comment) }
        text = text.replacingOccurrences(of: "port: 4443", with: "port: 0")
            .replacingOccurrences(of: "127.0.0.1:4443", with: #"127.0.0.1:\(server.port)"#)
        return text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    @Test func everySwiftBlockIsInACompiledTest() throws {
        let sources = try FileManager.default.subpathsOfDirectory(atPath: Self.root.appendingPathComponent("Tests").path)
            .filter { $0.hasSuffix(".swift") && !$0.hasSuffix("ReadmeTests.swift") }
            .map { try String(contentsOf: Self.root.appendingPathComponent("Tests").appendingPathComponent($0), encoding: .utf8) }
            .map { Set($0.components(separatedBy: "\n").map(Self.normalized)) }
        let code = Self.blocks(of: try Self.readme()).filter { $0.language == "swift" && $0.lines.first != "// Package.swift" }
        #expect(code.count >= 2)
        for block in code {
            let lines = block.lines.map(Self.normalized).filter { !$0.isEmpty && !$0.hasPrefix("//") }
            let best = sources.map { source in lines.filter { !source.contains($0) } }.min { $0.count < $1.count } ?? lines
            #expect(best.isEmpty, "README lines found in no test file: \(best)")
        }
    }

    @Test func theManifestExcerptNamesRealProducts() throws {
        let manifest = try String(contentsOf: Self.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let library = try Regex(#"\.library\(name: "([A-Za-z]+)""#)
        let products = Set(manifest.matches(of: library).map { String($0.output[1].substring ?? "") })
        let readme = try Self.readme()
        let excerpt = try #require(Self.blocks(of: readme).first { $0.lines.first == "// Package.swift" })
        let product = try Regex(#"\.product\(name: "([A-Za-z]+)", package: "swift-protoo"\)"#)
        let used = excerpt.lines.joined(separator: "\n").matches(of: product).map { String($0.output[1].substring ?? "") }
        #expect(!used.isEmpty)
        // The "Products:" paragraph too.
        let paragraph = try #require(readme.components(separatedBy: "\n\n").first { $0.hasPrefix("Products:") })
        let named = try Regex(#"`(Protoo[A-Za-z]*)`"#)
        let listed = paragraph.matches(of: named).map { String($0.output[1].substring ?? "") }
        #expect(listed.count >= 8)
        for product in used + listed {
            #expect(products.contains(product), "README names product \(product), which Package.swift does not declare")
        }
    }

    /// Every `swift run protoo trace|replay …` line of the README and every `load … --trace|--scenario` line,
    /// run with the `protoo` that `swift test` builds, from the package root. Commands against
    /// `ws://127.0.0.1:4443/` run against a `protoo serve --app conformance` on a free port.
    @Test func traceReplayAndLoadCommandsRunAsWritten() async throws {
        let commands = Self.blocks(of: try Self.readme()).filter { $0.language == "sh" }.flatMap(\.lines)
            .map { $0.components(separatedBy: " #").first!.components(separatedBy: " | ").first! }
            .map { $0.replacingOccurrences(of: "swift run -c release protoo ", with: "swift run protoo ") }
            .filter { $0.hasPrefix("swift run protoo trace ") || $0.hasPrefix("swift run protoo replay ")
                || ($0.hasPrefix("swift run protoo load ") && ($0.contains(" --trace ") || $0.contains(" --scenario "))) }
        #expect(commands.count >= 5)
        #expect(commands.contains { $0.contains("--target ws://127.0.0.1:4443/") })
        let serve = try await ProtooChild(["serve", "--app", "conformance", "--host", "127.0.0.1", "--port", "0"])
        for command in commands {
            let live = command.replacingOccurrences(of: "ws://127.0.0.1:4443/", with: serve.url)
            // Single quotes are the shell's (a threshold's `<`), not the argument's.
            let arguments = live.dropFirst("swift run protoo ".count).split(separator: " ")
                .map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: "'")) }
            let result = try await ProtooTool.runAsync(arguments, in: Self.root.path)
            #expect(result.status == 0, "`\(command)` exited \(result.status): \(result.error)\n\(result.outputText)")
            #expect(!result.output.isEmpty, "`\(command)` printed nothing")
        }
        serve.stop()
    }

    /// The README's `protoo proxy` line starts as written (its port 8443 made 0, its upstream the
    /// `serve` here, its recording in a temporary directory) and relays a live replay.
    @Test func proxyCommandStartsAsWritten() async throws {
        let line = try #require(Self.blocks(of: try Self.readme()).filter { $0.language == "sh" }.flatMap(\.lines)
            .first { $0.hasPrefix("swift run protoo proxy ") })
        let serve = try await ProtooChild(["serve", "--app", "conformance", "--host", "127.0.0.1", "--port", "0"])
        let recording = FileManager.default.temporaryDirectory.appendingPathComponent("readme-proxy-\(getpid()).ptrace.zst").path
        let arguments = line.components(separatedBy: " #").first!.dropFirst("swift run protoo ".count)
            .split(separator: " ").map(String.init)
            .map { $0 == "127.0.0.1:8443" ? "127.0.0.1:0" : $0 == "ws://127.0.0.1:4443/" ? serve.url : $0 == "prod.ptrace.zst" ? recording : $0 }
        #expect(arguments.contains(recording))
        let proxy = try await ProtooChild(arguments)
        let replay = try ProtooTool.run(["replay", "traces/conformance-session.ptrace.zst", "--target", proxy.url], in: Self.root.path)
        #expect(replay.status == 0, "\(replay.outputText)")
        proxy.stop()
        let info = try ProtooTool.run(["trace", "info", recording])
        #expect(info.status == 0 && info.outputText.contains("records:"), "\(info.error)")
        try? FileManager.default.removeItem(atPath: recording)
        serve.stop()
    }
}
