import Platform
import Allocation
import Archer
import ArgumentParser
import Clusters
import Foundation
import Logging
import Metrics
import Prometheus
import Routing

/// `bursar serve`: the submission router's HTTP API.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the submission router (\"Archer\"): route, record and submit Spark jobs; manage rules; deploy queue configs.",
        discussion: """
        The API is documented in the README and in Archer/openapi.yaml. Every /v1 call needs \
        `Authorization: Bearer <token>`; tokens are listed, hashed, in the tokens file (create or extend one \
        with `bursar token new --file tokens.yaml`). /healthz, /metrics and /ws/v1/validate-conf are open.

        Clusters with a kubernetes: section in clusters.yaml get the Kubernetes target; the others, or all \
        with --dry-run, get the dry-run target, which records what would be sent in --dry-run-dir. \
        SIGTERM or SIGINT stops accepting connections, finishes the requests in flight and flushes the store.
        """
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one; the chosen port is logged).")
    var port = 8080

    @Option(help: "The tokens file (principals, teams, roles, SHA-256 of each token). Also BURSAR_TOKENS.")
    var tokens: String?

    @Option(help: "The cluster registry.")
    var clusters = "Queues/clusters.yaml"

    @Option(help: "The allocation policy (deploy reads its tier-1 shrink limit).")
    var policy = "Queues/policy.yaml"

    @Option(help: "The folder with <cluster>/queues.yaml.")
    var queues = "Queues"

    @Flag(help: "Send nothing to any cluster: record what would be sent instead.")
    var dryRun = false

    @Option(help: "Where the dry-run target writes what it would send (one JSON line per request).")
    var dryRunDir = ".bursar/dry-run"

    @Option(help: "Largest accepted request body, in bytes (1 to 67108864).")
    var maxBody = 1 << 20

    @Option(help: "Seconds between reloads of the routing snapshot (rules, routes, owners, cordons); 0.1 to 3600.")
    var refresh = 5.0

    @Option(help: "Seconds the dashboards (/dashboards/) show one read of the store before reading it again in the background; 1 to 86400.")
    var dashboardMaxAge = 60.0

    @Option(help: "This router's name among the replicas sharing the store (GET /v1/replicas); default router-<host>-<pid>.")
    var replica: String?

    @Option(help: "Connections held open at once (1 to 1000000). At the cap a new connection replaces the one that has waited longest without sending a request; only when all are busy with requests is it answered 503 and closed.")
    var maxConnections = 4096

    @Option(help: "Seconds from connecting to the end of the first request's headers (0.1 to 3600); later, 408 and closed.")
    var headerTimeout = 10.0

    @Option(help: "Seconds from the end of a request's headers to the end of its body (0.1 to 3600); later, 408 and closed.")
    var bodyTimeout = 10.0

    @Option(help: "Seconds a kept-alive connection may wait for its next request (0.1 to 3600); later, closed.")
    var idleTimeout = 60.0

    @Option(help: "Seconds between readiness probes of each Kubernetes cluster (GET /readyz); a cluster failing 3 in a row is routed around until it passes 2. 0 turns probing off.")
    var probeInterval = 10.0

    @Option(help: "HTTP event-loop threads (default: one per core).")
    var eventLoops: Int?

    @Option(help: "Log level (trace, debug, info, notice, warning, error, critical).")
    var logLevel = "info"

    @OptionGroup var store: StoreOption

    /// Every flag's range, all problems at once; a value out of range exits 1 naming the flag.
    func validate() throws {
        var problems: [String] = []
        func seconds(_ flag: String, _ value: Double) {
            if !(value >= 0.1 && value <= 3600) { problems.append("--\(flag) \(value): give seconds from 0.1 to 3600") }
        }
        if !(1...(64 << 20)).contains(maxBody) {
            problems.append("--max-body \(maxBody): give bytes from 1 to 67108864 (64 MiB); manifests are small, and each request's body is held in memory")
        }
        if refresh == 0 {
            problems.append("--refresh 0: the snapshot must be reloaded (rules and routes written elsewhere reach the router only so); give seconds from 0.1 to 3600")
        } else {
            seconds("refresh", refresh)
        }
        if !(1...86_400).contains(dashboardMaxAge) {
            problems.append("--dashboard-max-age \(dashboardMaxAge): give seconds from 1 to 86400")
        }
        if !(1...1_000_000).contains(maxConnections) { problems.append("--max-connections \(maxConnections): give a count from 1 to 1000000") }
        seconds("header-timeout", headerTimeout)
        seconds("body-timeout", bodyTimeout)
        seconds("idle-timeout", idleTimeout)
        if !(probeInterval >= 0 && probeInterval <= 3600) {
            problems.append("--probe-interval \(probeInterval): give seconds from 0 to 3600 (0 turns probing off)")
        }
        if let eventLoops, !(1...256).contains(eventLoops) { problems.append("--event-loops \(eventLoops): give a count from 1 to 256") }
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
    }

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level \(logLevel): use trace, debug, info, notice, warning, error or critical")
        }
        LoggingSystem.bootstrap { JSONLogHandler(label: $0, level: level) }
        let logger = Logger(label: "bursar.archer")
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

        let options = try loadOptions()
        let archer: Archer
        do {
            archer = try await Archer(options: options, store: try store.location(), logger: logger,
                                      metrics: ArcherMetrics(registry: registry))
        } catch {
            printError("bursar serve: cannot start: \(error)")
            throw ExitCode(2)
        }
        try await archer.run { channel in
            let address = channel.localAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?"
            logger.notice("listening", metadata: ["address": .string(address)])
        }
    }

    private static func duration(_ seconds: Double) -> Duration { .milliseconds(Int64((seconds * 1000).rounded())) }

    private func loadOptions() throws -> ArcherOptions {
        func read(_ path: String, _ what: String) throws -> String {
            do {
                return try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                printError("bursar serve: cannot read the \(what) \(path): \(error.localizedDescription)")
                throw ExitCode(2)
            }
        }
        guard let tokensPath = tokens ?? ProcessInfo.processInfo.environment["BURSAR_TOKENS"] else {
            printError("bursar serve: no tokens file; pass --tokens FILE (or BURSAR_TOKENS). Create one with: bursar token new --principal NAME --team TEAM [--admin] --file tokens.yaml")
            throw ExitCode(2)
        }
        do {
            let book = try TokenBook.parse(try read(tokensPath, "tokens file"), file: tokensPath)
            let registry = try ClusterRegistry.load(file: clusters)
            let policyValue = try AllocationPolicy.load(file: policy)
            var targets: [String: any ClusterTarget] = [:]
            for cluster in registry {
                targets[cluster.name] = try ClusterTargets.target(for: cluster, dryRun: dryRun, dryRunFolder: dryRunDir)
            }
            var options = ArcherOptions(host: host, port: port, maxBodyBytes: maxBody,
                                        refreshInterval: .milliseconds(Int64((refresh * 1000).rounded())), clusters: registry,
                                        queuesDirectory: URL(fileURLWithPath: queues), policy: policyValue, tokens: book,
                                        targets: targets)
            options.eventLoops = eventLoops
            if let replica { options.replica = replica }
            options.dashboardMaxAge = .milliseconds(Int64((dashboardMaxAge * 1000).rounded()))
            options.connections = ConnectionLimits(maxConnections: maxConnections, headerTimeout: Self.duration(headerTimeout),
                                                   bodyTimeout: Self.duration(bodyTimeout), idleTimeout: Self.duration(idleTimeout))
            if probeInterval > 0 && !dryRun {
                // Probes get their own targets with a short timeout: a cluster that does not answer in 5 s is failing.
                for cluster in registry where cluster.kubernetes != nil {
                    options.probeTargets[cluster.name] = try ClusterTargets.target(for: cluster, timeout: .seconds(5))
                }
                options.probeInterval = .milliseconds(Int64((probeInterval * 1000).rounded()))
            }
            return options
        } catch let error as ExitCode {
            throw error
        } catch let error as ValidationError {
            throw error
        } catch {
            printError("bursar serve: \(error)")
            throw ExitCode(2)
        }
    }
}
