// swift-tools-version: 6.0
import PackageDescription

/// One set of compiler settings shared by every Swift target.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Bursar",
    products: [
        .executable(name: "bursar", targets: ["bursar"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        // C libraries: one system-library target each, wrapped by exactly one Swift target.
        .systemLibrary(name: "CGLPK", path: "Sources/CGLPK"),
        .target(name: "CGLPKGuard", dependencies: ["CGLPK"], path: "Sources/CGLPKGuard"),
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ", pkgConfig: "libpq",
                       providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),

        // Wrappers around the C libraries.
        .target(name: "Gzip", dependencies: ["CZlib"], swiftSettings: swiftSettings),
        .target(name: "LinearSolver", dependencies: ["CGLPK", "CGLPKGuard"], swiftSettings: swiftSettings),
        .target(name: "Store", dependencies: ["CSQLite", "CLibPQ"], swiftSettings: swiftSettings),
        .target(name: "HTTPFetch", dependencies: ["CCurl"], swiftSettings: swiftSettings),

        // The pure core: YuniKorn's queue configuration, its validator and emitter.
        .target(name: "QueueConfig", dependencies: [.product(name: "Yams", package: "Yams"), "Gzip"],
                swiftSettings: swiftSettings),

        // Ingestion: application summaries from logs (pure parsing here; sources and the store at the edge).
        .target(name: "Ingest", swiftSettings: swiftSettings),

        // The thin executable: argument parsing and one file per subcommand.
        .executableTarget(name: "bursar", dependencies: [
            "QueueConfig",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: swiftSettings),

        .testTarget(name: "QueueConfigTests", dependencies: ["QueueConfig", "Gzip"],
                    exclude: ["Golden"], swiftSettings: swiftSettings),
        .testTarget(name: "SystemLibraryTests", dependencies: ["LinearSolver", "Store", "HTTPFetch", "Gzip"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "IngestTests", dependencies: ["Ingest"], swiftSettings: swiftSettings),
        .testTarget(name: "CLITests", dependencies: ["bursar", "QueueConfig", "Gzip"], swiftSettings: swiftSettings),
    ]
)
