// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "asapp-sync",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "asapp-sync", targets: ["asapp-sync"]),
        .executable(name: "asapp-sandbox", targets: ["asapp-sandbox"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.27.0"),
    ],
    targets: [
        // The C library, wrapped only by `Postgres`.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]
        ),
        // Shared vocabulary: source values, timestamps, JSON. No I/O.
        .target(name: "SyncCore"),
        // The PostgreSQL wrapper over libpq: the only importer of CLibPQ.
        .target(name: "Postgres", dependencies: ["CLibPQ", "SyncCore"]),
        // The vendor's API contract: endpoints, schemas, validation. No I/O.
        .target(name: "APIContract", dependencies: ["SyncCore"]),
        // Mapping files: parsing, static checks, row-to-payload mapping. No I/O.
        .target(name: "Mapping", dependencies: ["SyncCore", "APIContract", "Yams"]),
        // Watermark extraction over the PostgreSQL wrapper.
        .target(name: "Extractor", dependencies: ["Postgres", "SyncCore"]),
        // Sync state in PostgreSQL: checkpoints, runs, rejects.
        .target(name: "Checkpoints", dependencies: ["Postgres", "SyncCore"]),
        // HTTP delivery to the API, over SwiftNIO's HTTP/1.1 codec.
        .target(name: "Loader", dependencies: [
            "SyncCore", "APIContract",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOTLS", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Runs that assemble extraction, mapping, loading and checkpoints.
        .target(name: "SyncEngine", dependencies: [
            "SyncCore", "Postgres", "Mapping", "Extractor", "Checkpoints", "Loader", "APIContract",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Metrics and health over HTTP for scheduled mode.
        .target(name: "Telemetry", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // The demo contact-center schema and its deterministic generator.
        .target(name: "DemoData"),
        // The local stand-in for the vendor's API.
        .target(name: "SandboxServer", dependencies: [
            "SyncCore", "APIContract",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "asapp-sync", dependencies: [
            "SyncEngine", "Mapping", "DemoData", "Postgres", "Loader", "Extractor", "Checkpoints", "Telemetry",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .executableTarget(name: "asapp-sandbox", dependencies: [
            "SandboxServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Test support: a real PostgreSQL database per test and helpers; no mocks.
        .target(name: "TestSupport", dependencies: ["Postgres", "SyncCore"], path: "Tests/TestSupport"),
        .testTarget(name: "SyncCoreTests", dependencies: ["SyncCore"]),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "TestSupport"]),
        .testTarget(name: "APIContractTests", dependencies: ["APIContract", "SyncCore", "TestSupport"]),
        .testTarget(name: "MappingTests", dependencies: ["Mapping", "SyncCore", "TestSupport"]),
        .testTarget(name: "ExtractorTests", dependencies: ["Extractor", "Postgres", "SyncCore", "TestSupport"]),
        .testTarget(name: "CheckpointsTests", dependencies: ["Checkpoints", "TestSupport"]),
        .testTarget(name: "LoaderTests", dependencies: [
            "Loader", "SandboxServer", "APIContract", "SyncCore", "TestSupport", .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        .testTarget(name: "SandboxServerTests", dependencies: [
            "SandboxServer",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
        .testTarget(name: "TelemetryTests", dependencies: [
            "Telemetry", .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
        .testTarget(name: "SyncEngineTests", dependencies: [
            "SyncEngine", "Mapping", "Loader", "Postgres", "SyncCore", "SandboxServer", "DemoData", "TestSupport", "Telemetry",
            "Extractor", "Checkpoints",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
    ]
)
