import Foundation
import Testing

/// The JavaScript protoo-server and protoo-client, when this machine has them.
public enum JSProtoo {
    /// Tests/Interop: the JS servers and client sessions.
    public static let interop = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Interop")

    /// `PROTOO_JS_MODULES`, when it names a folder with protoo-server in it (and node runs).
    public static let modules: String? = {
        guard let dir = ProcessInfo.processInfo.environment["PROTOO_JS_MODULES"], !dir.isEmpty,
              FileManager.default.fileExists(atPath: dir + "/protoo-server/package.json"), nodePath != nil else { return nil }
        return dir
    }()

    public static let nodePath: String? = ["/usr/bin/node", "/usr/local/bin/node"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// A fresh JS twin of the conformance app.
    public static func server() async throws -> ProtooChild {
        try await ProtooChild(launching: try #require(nodePath), [interop.appendingPathComponent("js-conformance-server.js").path],
                              environment: ["NODE_PATH": try #require(modules)])
    }

    /// Runs `node <script> <arguments>` in Tests/Interop to its end.
    public static func node(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let node = try #require(nodePath), modules = try #require(modules)
        return try await offPool {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: node)
            process.arguments = [interop.appendingPathComponent(arguments[0]).path] + arguments.dropFirst()
            var environment = ProcessInfo.processInfo.environment
            environment["NODE_PATH"] = modules
            process.environment = environment
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }
    }
}
