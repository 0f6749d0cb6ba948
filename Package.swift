// swift-tools-version: 6.1
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
        // The router's HTTP service. Hummingbird's default traits pull swift-configuration and full Foundation,
        // which the router does not use; turning them off saves build time.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        // NIOHTTPTypes: the HTTP parts the router's connection gate sees (already a dependency of Hummingbird).
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // SHA-256 for YuniKorn's config checksum and the router's token digests (already in the graph).
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        // The dashboards' HTML: Mustache templates that escape by default (Hummingbird's template engine).
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", exact: "2.1.1"),
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
        // Files written all at once (temporary file, sync, rename, folder sync) and folder locks: the edge every
        // durable write goes through (the nightly plan's commit, the tokens file, generated samples).
        .target(name: "SafeFiles", swiftSettings: swiftSettings),

        // The pure core: YuniKorn's queue configuration, its validator and emitter.
        .target(name: "QueueConfig", dependencies: [.product(name: "Yams", package: "Yams"), "Gzip", "Diagnostics", "SourceDocuments",
                                                    .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: swiftSettings),

        // Documents from outside read with their positions (pure): the limits a document is checked against
        // before it is composed, a strict YAML reader (through Yams) and a strict JSON reader giving one tree
        // with line and column, refusing duplicate and merge keys.
        .target(name: "SourceDocuments", dependencies: ["Diagnostics", .product(name: "Yams", package: "Yams")],
                swiftSettings: swiftSettings),
        // JSON text for reports (pure): a typed document written with sorted keys, and string quoting.
        .target(name: "JSONText", swiftSettings: swiftSettings),
        // Work spread over the cores: an ordered parallel map, two closures side by side.
        .target(name: "Parallel", swiftSettings: swiftSettings),
        // Problems in input files said one way (pure): `file:line:column: field: message`.
        .target(name: "Diagnostics", swiftSettings: swiftSettings),
        // Times and dates (pure): ISO 8601 parsing and formatting in epoch milliseconds, civil-date arithmetic.
        .target(name: "Timestamps", swiftSettings: swiftSettings),
        // Cron schedules in a time zone (pure): 5-field expressions and @shorthands, the ticks between two instants.
        .target(name: "Schedules", dependencies: ["Timestamps"], swiftSettings: swiftSettings),

        // Ingestion: application summaries from logs, mappings and attribution (pure; no I/O).
        .target(name: "Ingest", dependencies: ["Timestamps", "Diagnostics"], swiftSettings: swiftSettings),
        // Insights: what the insight tables hold and what is computed from them (hourly usage, workflow
        // runs, SLO attainment); pure values and functions.
        .target(name: "Insights", dependencies: ["Ingest", "JSONText", "Timestamps"], swiftSettings: swiftSettings),
        // Synthetic but realistic history in every input shape, for the demo, the tests and the benchmarks.
        .target(name: "Synth", dependencies: ["SafeFiles", "Ingest", "JSONText", "Timestamps", "QueueConfig", "Platform", "Allocation"], swiftSettings: swiftSettings),
        // The edge: the insight tables in SQLite or PostgreSQL (schema, migrations, typed statements).
        .target(name: "InsightStore", dependencies: ["Store", "Ingest", "Insights"], swiftSettings: swiftSettings),
        // The edge: reading sources (files, folders, .gz, HTTP(S), S3) into the store, resumably.
        .target(name: "IngestPipeline", dependencies: ["Diagnostics", "Ingest", "Insights", "InsightStore", "Gzip", "HTTPFetch", "Parallel"],
                swiftSettings: swiftSettings),

        // The platform's configuration (pure): the cluster registry with Kubernetes endpoints, the allocation
        // policy, leaf queues and resource units; read by the allocator, the clusters' edge and the router.
        .target(name: "Platform", dependencies: ["QueueConfig", "Diagnostics", "SourceDocuments"],
                swiftSettings: swiftSettings),

        // The allocator (pure): demand from hourly usage, the placement MIP and the allocation LPs on
        // LinearSolver, the plan, its queue configurations and its report.
        .target(name: "Allocation", dependencies: ["Diagnostics", "Platform", "LinearSolver", "QueueConfig", "JSONText", "Parallel", "Timestamps"],
                swiftSettings: swiftSettings),

        // Workflow definitions (pure): Pipelines/ files read strictly, jobs as a DAG, each Spark job checked as the
        // router would see it, and the checks across files (unique names, the mappings, SLO against runtimes).
        .target(name: "Workflows", dependencies: ["Schedules", "SourceDocuments", "Diagnostics", "Timestamps", "Routing", "Parallel", "JSONText"],
                swiftSettings: swiftSettings),

        // The workflow scheduler's decisions (pure): which ticks become runs, how a run's jobs move on (ready,
        // retries, timeouts, upstream failures), and which ready jobs go out first under the dispatch limits.
        .target(name: "Scheduling", dependencies: ["Workflows", "Schedules"], swiftSettings: swiftSettings),

        // A simulated cluster (pure): SparkApplications admitted under the deployed queue limits as YuniKorn admits
        // them, run for a duration, ending with YuniKorn's summary line; watch history; the clock is passed in.
        .target(name: "SimCluster", dependencies: ["Ingest", "Routing", "QueueConfig", "SourceDocuments", "Timestamps", "Gzip"],
                swiftSettings: swiftSettings),

        // The workflow scheduler (the edge): definitions read from Pipelines/, each pass over the store (runs, jobs,
        // events), the dispatch of job attempts, and one watch per cluster for their ends.
        .target(name: "Scheduler", dependencies: ["Scheduling", "Workflows", "InsightStore", "Diagnostics", "HTTPFetch", "SourceDocuments",
                                                  "Clusters", "Parallel", "Timestamps", "Insights", "SafeFiles", .product(name: "Prometheus", package: "swift-prometheus"),
                                                  .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: swiftSettings),

        // The edge of the nightly allocation: which plan a night is measured against (the archive in the store,
        // else the baseline files), and a plan's files and store transaction written all or nothing (journal,
        // synced renames, recovery after a crash).
        .target(name: "NightlyPlan", dependencies: ["Diagnostics", "SafeFiles", "Allocation", "Platform", "Parallel", "InsightStore", "QueueConfig"], swiftSettings: swiftSettings),

        // The edge to the clusters: the Kubernetes API through libcurl (SparkApplications, the yunikorn-configs
        // ConfigMap with resourceVersion conflicts), a dry-run target, and queue deployment.
        .target(name: "Clusters", dependencies: ["HTTPFetch", "JSONText", "Timestamps", "QueueConfig", "Platform", "Parallel", "Gzip"],
                swiftSettings: swiftSettings),

        // The simulated cluster served over HTTP (the edge): a subset of the Kubernetes API on loopback, a driver
        // advancing the core with a scaled wall clock, and the summary log file.
        .target(name: "SimClusterServer", dependencies: [
            "SimCluster", "Routing", "Ingest",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], swiftSettings: swiftSettings),

        // The submission router "Archer" (pure): submissions parsed into facts and manifests, rules, the
        // routing decision over a snapshot, the manifest mutation, tokens and authorization.
        .target(name: "Routing", dependencies: ["Timestamps", "Diagnostics", "JSONText", "QueueConfig", "SourceDocuments",
                                                .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: swiftSettings),

        // The router "Archer" (the edge): the HTTP service that routes and records submissions, manages
        // routing rules, deploys queue configurations, answers YuniKorn's validate-conf, and operates the
        // scheduler's workflows and runs (through Scheduler's shared operations).
        .target(name: "Archer", dependencies: [
            "InsightStore", "Store", "QueueConfig", "Platform", "Routing", "Clusters", "NightlyPlan", "SafeFiles", "Scheduler", "Dashboards",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
        ], exclude: ["openapi.yaml"], swiftSettings: swiftSettings),

        // The dashboards: pages as pure functions of a snapshot of the store (SLO, runs, queues, allocation,
        // router), inline SVG charts, Mustache templates, the static export; the snapshot's read is the edge.
        .target(name: "Dashboards", dependencies: ["Insights", "InsightStore", "Timestamps", "JSONText", "Workflows", "QueueConfig", "Parallel", "SafeFiles", "Diagnostics",
                                                   .product(name: "Mustache", package: "swift-mustache")],
                swiftSettings: swiftSettings),

        // The thin executable: argument parsing and one file per subcommand.
        .executableTarget(name: "bursar", dependencies: [
            "QueueConfig", "SourceDocuments", "Diagnostics", "Ingest", "Insights", "InsightStore", "IngestPipeline", "Synth", "Gzip", "Platform", "Allocation", "Parallel", "Clusters",
            "Routing", "Archer", "HTTPFetch", "NightlyPlan", "SafeFiles", "Workflows", "Scheduler", "Scheduling", "JSONText",
            "SimCluster", "SimClusterServer", "Dashboards",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ], swiftSettings: swiftSettings),

        // What tests need from the machine (a tool, a server, a fixture folder), as a skip-or-fail trait.
        .target(name: "TestSupport", dependencies: ["InsightStore", "Store"], path: "Tests/TestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "QueueConfigTests", dependencies: ["TestSupport", "QueueConfig", "SourceDocuments", "Gzip", "Synth"],
                    exclude: ["Golden"], swiftSettings: swiftSettings),
        .testTarget(name: "SystemLibraryTests", dependencies: ["TestSupport", "Synth", "LinearSolver", "Store", "HTTPFetch", "Gzip", "IngestPipeline", "InsightStore"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "SchedulerTests", dependencies: ["Scheduler", "Scheduling", "Workflows", "InsightStore", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "SimClusterTests", dependencies: ["SimCluster", "Routing", "Ingest", "QueueConfig", "Gzip"], swiftSettings: swiftSettings),
        .testTarget(name: "SimClusterServerTests", dependencies: ["SimClusterServer", "SimCluster", "Ingest",
                                                                 .product(name: "Logging", package: "swift-log")],
                    swiftSettings: swiftSettings),
        .testTarget(name: "SchedulingTests", dependencies: ["Scheduling", "Workflows", "Schedules"], swiftSettings: swiftSettings),
        .testTarget(name: "WorkflowsTests", dependencies: ["Workflows", "Schedules", "SourceDocuments", "Diagnostics"], swiftSettings: swiftSettings),
        .testTarget(name: "DashboardsTests", dependencies: ["Dashboards", "InsightStore", "Insights", "Store", "TestSupport", "Routing"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "DiagnosticsTests", dependencies: ["Diagnostics"], swiftSettings: swiftSettings),
        .testTarget(name: "JSONTextTests", dependencies: ["JSONText"], swiftSettings: swiftSettings),
        .testTarget(name: "TimestampsTests", dependencies: ["Timestamps"], swiftSettings: swiftSettings),
        .testTarget(name: "SchedulesTests", dependencies: ["Schedules"], swiftSettings: swiftSettings),
        .testTarget(name: "IngestTests", dependencies: ["Ingest", "Timestamps"], swiftSettings: swiftSettings),
        .testTarget(name: "InsightsTests", dependencies: ["Insights", "Ingest"], swiftSettings: swiftSettings),
        .testTarget(name: "SynthTests", dependencies: ["Synth", "Ingest"], swiftSettings: swiftSettings),
        .testTarget(name: "InsightStoreTests", dependencies: ["InsightStore", "IngestPipeline", "Store", "Ingest",
                                                              "Insights", "Gzip"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "AllocationTests", dependencies: ["TestSupport", "Platform", "Allocation", "Synth", "LinearSolver", "QueueConfig", "InsightStore"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "NightlyPlanTests", dependencies: ["TestSupport", "NightlyPlan", "SafeFiles", "Platform", "Allocation", "InsightStore", "Store", "QueueConfig"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "ClustersTests", dependencies: ["Clusters", "HTTPFetch", "Platform", "Allocation", "QueueConfig", "Scheduler", "Scheduling"],
                    exclude: ["Support/fake_kube_apiserver.py"], swiftSettings: swiftSettings),
        .testTarget(name: "SourceDocumentsTests", dependencies: ["SourceDocuments"], swiftSettings: swiftSettings),
        .testTarget(name: "RoutingTests", dependencies: ["Routing", "SourceDocuments", "Synth"], exclude: ["Golden"], swiftSettings: swiftSettings),
        .testTarget(name: "ArcherTests", dependencies: [
            "TestSupport", "Archer", "Routing", "Clusters", "InsightStore", "Store", "HTTPFetch", "Platform", "Allocation", "NightlyPlan", "SafeFiles",
            "Scheduler",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
        ], swiftSettings: swiftSettings),
        .testTarget(name: "CLITests", dependencies: ["bursar", "TestSupport", "QueueConfig", "Gzip", "InsightStore", "Store", "HTTPFetch", "Synth",
                                                     "Clusters", "Platform"], swiftSettings: swiftSettings),
    ]
)
