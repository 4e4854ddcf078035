// swift-tools-version: 6.1
// A user's own package on swift-protoo's products: the contract of the "simulate your own app"
// API. `check.sh` copies it next to a link named swift-protoo to the checkout, builds it and runs it.
import PackageDescription

let package = Package(
    name: "ChatTool",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../swift-protoo"),
    ],
    targets: [
        .executableTarget(name: "mychat", dependencies: [
            .product(name: "Protoo", package: "swift-protoo"),
            .product(name: "ProtooSimulator", package: "swift-protoo"),
            .product(name: "ProtooCommands", package: "swift-protoo"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
