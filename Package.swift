// swift-tools-version: 6.1
import PackageDescription

/// What the WebSocket server and the Swift client both build on.
let webSocketStack: [Target.Dependency] = [
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
    .product(name: "NIOHTTP1", package: "swift-nio"),
    .product(name: "NIOWebSocket", package: "swift-nio"),
    .product(name: "NIOSSL", package: "swift-nio-ssl"),
    .product(name: "Logging", package: "swift-log"),
]

let package = Package(
    name: "swift-protoo",
    // macOS 15: the engine uses UInt128 and String(validating:as:), new in Swift 6 runtimes.
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Protoo", targets: ["Protoo"]),
        .library(name: "ProtooTrace", targets: ["ProtooTrace"]),
        .library(name: "ProtooWebSocketCore", targets: ["ProtooWebSocketCore"]),
        .library(name: "ProtooWebSocket", targets: ["ProtooWebSocket"]),
        .library(name: "ProtooClient", targets: ["ProtooClient"]),
        .library(name: "ProtooApps", targets: ["ProtooApps"]),
        .library(name: "ProtooReplay", targets: ["ProtooReplay"]),
        .library(name: "ProtooVerdict", targets: ["ProtooVerdict"]),
        .library(name: "ProtooProxy", targets: ["ProtooProxy"]),
        .library(name: "ProtooSimulator", targets: ["ProtooSimulator"]),
        .library(name: "ProtooScenarios", targets: ["ProtooScenarios"]),
        .library(name: "ProtooLiveReplay", targets: ["ProtooLiveReplay"]),
        .library(name: "ProtooScenarioLoad", targets: ["ProtooScenarioLoad"]),
        .library(name: "ProtooCommands", targets: ["ProtooCommands"]),
        .executable(name: "protoo", targets: ["ProtooCLI"]),
        .executable(name: "protoo-bench", targets: ["ProtooBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // The protocol engine: JSON, messages, Peer, Room, scheduler seam. No I/O.
        .target(
            name: "Protoo",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ]
        ),
        // libzstd (apt: libzstd-dev), for compressed traces.
        .systemLibrary(name: "CZstd", path: "Sources/CZstd"),
        // Traffic traces: format, writer, reader, recorder (a TrafficTap).
        .target(
            name: "ProtooTrace",
            dependencies: ["Protoo", "CZstd", .product(name: "Logging", package: "swift-log")]
        ),
        // Built-in apps: conformance and conference, written on the public engine API.
        .target(name: "ProtooApps", dependencies: ["Protoo"]),
        // The deterministic simulator: virtual network, simulated protoo clients, scenarios, invariants.
        .target(
            name: "ProtooSimulator",
            dependencies: [
                "Protoo",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The built-in scenarios (conference, echo) on the public simulator API and the built-in apps.
        .target(
            name: "ProtooScenarios",
            dependencies: ["Protoo", "ProtooApps", "ProtooSimulator", .product(name: "Logging", package: "swift-log")]
        ),
        // The WebSocket core the server, the client and live replay share: the connection (RFC 6455
        // framing, limits, keep-alive, close handshake), the URL, the server-wide budgets, the
        // engine's scheduler on a NIO event loop.
        .target(
            name: "ProtooWebSocketCore",
            dependencies: [
                "Protoo",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The WebSocket server: NIO (ws:// and wss://) on one event loop, driving the engine.
        .target(
            name: "ProtooWebSocket",
            dependencies: [
                "Protoo", "ProtooWebSocketCore",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ] + webSocketStack
        ),
        // A Swift protoo client (reconnecting, like protoo-client) on NIO.
        .target(
            name: "ProtooClient",
            dependencies: [
                "Protoo",
                "ProtooWebSocketCore",
            ] + webSocketStack
        ),
        // The protoo reverse proxy: relays, records and injects faults in front of any protoo server.
        .target(
            name: "ProtooProxy",
            dependencies: [
                "Protoo", "ProtooWebSocketCore", "ProtooClient", "ProtooWebSocket", "ProtooTrace",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Verdicts shared by replay and load: thresholds, measurements, JUnit reports, exit codes.
        .target(
            name: "ProtooVerdict",
            dependencies: ["Protoo", .product(name: "Histogram", package: "hdrhistogram-swift")]
        ),
        // Replay: any trace becomes a deterministic regression test of an app.
        .target(
            name: "ProtooReplay",
            dependencies: ["Protoo", "ProtooTrace", "ProtooVerdict", .product(name: "Logging", package: "swift-log")]
        ),
        // Load generation on the Swift client against any protoo server (`protoo load`, the socket benchmarks).
        .target(
            name: "ProtooLoad",
            dependencies: [
                "Protoo",
                "ProtooClient",
                "ProtooVerdict",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Live replay and load from a trace, over real WebSockets against any protoo server.
        .target(
            name: "ProtooLiveReplay",
            dependencies: [
                "Protoo", "ProtooClient", "ProtooReplay", "ProtooTrace", "ProtooVerdict", "ProtooWebSocketCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The simulator's clients (any scenario) over real WebSockets against any protoo server, with
        // faults on the real connections and client invariants (`protoo load --scenario`).
        .target(
            name: "ProtooScenarioLoad",
            dependencies: [
                "Protoo", "ProtooSimulator", "ProtooClient", "ProtooWebSocketCore", "ProtooVerdict",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The command tree (serve, simulate, trace, replay, load) for any apps and scenarios.
        .target(
            name: "ProtooCommands",
            dependencies: [
                "Protoo",
                "ProtooApps",
                "ProtooReplay",
                "ProtooLiveReplay",
                "ProtooLoad",
                "ProtooProxy",
                "ProtooScenarios",
                "ProtooScenarioLoad",
                "ProtooSimulator",
                "ProtooTrace",
                "ProtooVerdict",
                "ProtooWebSocket",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // `protoo`: the command tree with the built-in apps and scenarios.
        .executableTarget(name: "ProtooCLI", dependencies: ["ProtooCommands"]),
        // swift run -c release protoo-bench
        .executableTarget(
            name: "ProtooBench",
            dependencies: ["Protoo", "ProtooApps", "ProtooLoad", "ProtooReplay", "ProtooScenarios", "ProtooSimulator", "ProtooTestSupport", "ProtooTrace"],
            path: "Benchmarks/ProtooBench"
        ),
        // What the test targets share (not a product): running the `protoo` executable, in-process
        // servers and proxies that are always shut down, clients, and waiting for events.
        .target(
            name: "ProtooTestSupport",
            dependencies: [
                "Protoo", "ProtooApps", "ProtooClient", "ProtooProxy", "ProtooSimulator", "ProtooWebSocket",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/ProtooTestSupport"
        ),
        .testTarget(name: "ProtooTests", dependencies: ["Protoo"]),
        .testTarget(name: "ProtooVerdictTests", dependencies: ["ProtooVerdict", "Protoo"]),
        .testTarget(name: "ProtooSimulatorTests", dependencies: ["Protoo", "ProtooApps", "ProtooScenarios", "ProtooSimulator", "ProtooTestSupport"]),
        .testTarget(name: "ProtooTraceTests", dependencies: ["ProtooTrace", "Protoo", "ProtooTestSupport"]),
        .testTarget(
            name: "ProtooWebSocketTests",
            dependencies: [
                "Protoo", "ProtooApps", "ProtooWebSocket", "ProtooWebSocketCore", "ProtooClient", "ProtooTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            exclude: ["raw_client.py"]
        ),
        .testTarget(
            name: "ProtooReplayTests",
            dependencies: ["ProtooReplay", "Protoo", "ProtooApps", "ProtooScenarios", "ProtooSimulator", "ProtooTrace", "ProtooTestSupport"]
        ),
        .testTarget(
            name: "ProtooLiveReplayTests",
            dependencies: ["Protoo", "ProtooApps", "ProtooClient", "ProtooLiveReplay", "ProtooReplay", "ProtooTrace", "ProtooVerdict",
                           "ProtooWebSocket", "ProtooTestSupport", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "ProtooProxyTests",
            dependencies: [
                "Protoo", "ProtooApps", "ProtooClient", "ProtooProxy", "ProtooReplay", "ProtooTestSupport", "ProtooTrace", "ProtooWebSocket",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(
            name: "ProtooScenarioLoadTests",
            dependencies: ["Protoo", "ProtooApps", "ProtooScenarioLoad", "ProtooScenarios", "ProtooSimulator", "ProtooTestSupport",
                           "ProtooWebSocket", "ProtooWebSocketCore"]
        ),
        .testTarget(
            name: "ProtooLoadTests",
            dependencies: ["Protoo", "ProtooApps", "ProtooLoad", "ProtooTestSupport", "ProtooWebSocket", .product(name: "Logging", package: "swift-log")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
