import ArgumentParser
import Foundation
import Diagnostics
import InsightStore
import Scheduler
import Scheduling
import Workflows
import Clusters
import Platform
import Archer
import JSONText
import Store
import Synchronization

/// `bursar scheduler run`: the workflow scheduler.
struct SchedulerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler",
        abstract: "The workflow scheduler: runs the workflows of Pipelines/ and sends their Spark jobs through the router.",
        subcommands: [SchedulerRun.self]
    )
}

struct SchedulerRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Turn due cron ticks into runs, move runs on and dispatch ready jobs (a pass every --interval; --once for one).",
        discussion: """
        Each pass reads the definitions (a definition with errors is reported and left out; the others run), \
        records each definition version by content digest (a run keeps the version it was created with), \
        creates the runs of due ticks (at most the catch-up days after downtime; never two for one tick), starts \
        queued runs up to max_active_runs, marks ready, upstream-failed and timed-out jobs and missed deadlines, \
        and dispatches ready jobs, tier 1 first and then the nearest deadline, within the limits. Spark jobs go \
        to the router's POST /v1/submissions with the scheduler's token and an idempotency key per attempt.

        Each job's end comes from the clusters: one list/watch per cluster with a kubernetes: section in \
        --clusters, on the SparkApplications labelled bursar.dev/run-id (in every namespace: the scheduler's \
        credentials need list and watch on sparkapplications cluster-wide, and delete to stop a timed-out \
        attempt). A pass runs as soon as a report arrives, so an end is applied within a second of the watch \
        seeing it. Each watch resumes after a restart from the resourceVersion stored with the changes it \
        caused, and lists again when the server answers 410 Gone. Jobs on a cluster with no kubernetes: \
        section (a dry run) never end by themselves: their timeout ends them.

        State lives in the store (--store / BURSAR_STORE), so a restart carries on where the last pass stopped.
        """
    )

    @Option(help: "The definitions folder.")
    var pipelines = "Pipelines"

    @Option(help: "The router's base URL. Also BURSAR_SERVER; default http://127.0.0.1:8080.")
    var server: String?

    @Option(help: "The scheduler's bearer token. Also BURSAR_TOKEN.")
    var token: String?

    @Flag(help: "Run one pass and exit.")
    var once = false

    @Flag(help: "Exit once no run is active and a pass created none (for demos, tests and backfills run by hand).")
    var untilIdle = false

    @Option(help: "Seconds between passes.")
    var interval: Double = 1

    @Option(help: "Most job attempts in flight at once.")
    var maxInFlight = 1_000

    @Option(help: "Most attempts in flight in one queue (project and tier).")
    var maxPerQueue = 200

    @Option(help: "Most backfill attempts in flight.")
    var maxBackfill = 50

    @Option(help: "Dispatches in progress at once (each waits on the router).")
    var dispatchWidth = 8

    @Option(help: "The cluster registry: clusters with a kubernetes: section are watched for job ends.")
    var clusters = "Queues/clusters.yaml"

    @Option(name: .customLong("step"), help: ArgumentHelp(
        "A built-in step's bursar arguments, STEP=ARGS (ARGS split at spaces; no shell). Repeatable.",
        discussion: "Defaults: ingest=\"ingest Examples/sample/logs Examples/sample/yarn --mappings Examples/sample/mappings\", allocate=allocate, nightly=nightly, deploy=\"deploy <every cluster in --clusters> --clusters <file>\", slo-report=\"slo report\". The scheduler's --store is added to each."))
    var steps: [String] = []

    @Flag(help: "Leave built-in steps waiting instead of running them (another scheduler, or bursar nightly, runs them).")
    var noBuiltinSteps = false

    @Option(help: "Folder for the built-in steps' output, one file per attempt.")
    var stepLogs = ".bursar/steps"

    @Option(help: "Serve /metrics (Prometheus) and /healthz on this loopback port (0: a free one, printed); none by default.")
    var metricsPort: Int?

    @Option(help: "The address --metrics-port listens on.")
    var metricsHost = "127.0.0.1"

    @Option(help: ArgumentHelp("This replica's name, unique among the schedulers sharing a PostgreSQL store (a pod name is a good one). Also BURSAR_REPLICA.",
                               discussion: "A restarted replica under the same name resumes its watches where it left them."))
    var replica: String?

    @Option(help: "Seconds a replica's workflow leases (and heartbeat) last unless renewed: how soon the others take over its workflows when it dies.")
    var leaseSeconds: Double = 10

    @OptionGroup var storeOption: StoreOption

    func validate() throws {
        guard interval > 0, interval <= 3600 else { throw ValidationError("--interval must be between 0 and 3600 seconds") }
        guard maxInFlight > 0, maxPerQueue > 0, maxBackfill >= 0 else { throw ValidationError("the limits must be positive") }
        guard (1...256).contains(dispatchWidth) else { throw ValidationError("--dispatch-width must be between 1 and 256") }
        guard leaseSeconds >= 1, leaseSeconds <= 3600 else { throw ValidationError("--lease-seconds must be between 1 and 3600") }
        guard leaseSeconds > interval else { throw ValidationError("--lease-seconds (\(leaseSeconds)) must be longer than --interval (\(interval)): a lease is renewed once per pass") }
        let name = replicaName
        guard !name.isEmpty, name.count <= 128, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.:".contains($0) }) else {
            throw ValidationError("--replica \(name): use 1 to 128 letters, digits, '-', '_', '.' or ':'")
        }
        _ = try stepArguments(clusterNames: [])
    }

    var replicaName: String { replica ?? ProcessInfo.processInfo.environment["BURSAR_REPLICA"] ?? "scheduler" }

    /// Each built-in step's argument list: the defaults, overridden by --step, with the scheduler's --store.
    func stepArguments(clusterNames: [String]) throws -> [BuiltinStep: [String]] {
        var result: [BuiltinStep: [String]] = [
            .ingest: ["ingest", "Examples/sample/logs", "Examples/sample/yarn", "--mappings", "Examples/sample/mappings"],
            .allocate: ["allocate"], .nightly: ["nightly"], .sloReport: ["slo", "report"],
            .deploy: ["deploy"] + clusterNames + ["--clusters", clusters],
        ]
        for entry in steps {
            guard let equals = entry.firstIndex(of: "="), let step = BuiltinStep(rawValue: String(entry[..<equals])) else {
                throw ValidationError("--step \(entry): write STEP=ARGS with STEP one of \(BuiltinStep.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let arguments = entry[entry.index(after: equals)...].split(separator: " ").map(String.init)
            guard !arguments.isEmpty else { throw ValidationError("--step \(entry): give the bursar arguments after =") }
            result[step] = arguments
        }
        if let location = storeOption.store {
            for step in result.keys { result[step]! += ["--store", location] }
        }
        return result
    }

    func run() throws {
        // A daemon stops on SIGTERM and SIGINT even when started with them blocked (as from some supervisors'
        // and test runners' threads): nothing it holds outlives it (its store writes are transactions).
        var none = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, nil)
        let environment = ProcessInfo.processInfo.environment
        let base = server ?? environment["BURSAR_SERVER"] ?? "http://127.0.0.1:8080"
        guard let token = token ?? environment["BURSAR_TOKEN"], !token.isEmpty else {
            throw ValidationError("no token: set BURSAR_TOKEN or pass --token (an admin makes one: bursar token new)")
        }
        let location = try storeOption.location()
        var store = try InsightStore(location)
        let replicaName = self.replicaName
        let claim: SchedulerClaim
        do { claim = try SchedulerClaim.acquire(store, replica: replicaName) } catch {
            printError("bursar scheduler: \(error)")
            throw ExitCode(2)
        }
        defer { withExtendedLifetime(claim) {} }
        // Only clusters reached through a Kubernetes API report job ends; a registry that cannot be read is an
        // error only when it exists (a scheduler on dry-run clusters needs none).
        var watched: [any SparkApplicationWatching] = []
        var registry: [Cluster] = []
        if FileManager.default.fileExists(atPath: clusters) {
            do { registry = try ClusterRegistry.load(file: clusters) } catch {
                printError("bursar scheduler: \(error)")
                throw ExitCode(2)
            }
            watched = registry.compactMap { cluster in
                cluster.kubernetes.map { KubernetesTarget(cluster: cluster.name, endpoint: $0, timeout: .seconds(30)) }
            }
        }
        let watch = ClusterWatch(targets: watched, now: { InsightStore.now() })
        watch.start(from: try store.watchPositions(replica: replicaName))
        defer { watch.stop() }
        var steps: BuiltinSteps?
        if !noBuiltinSteps {
            // The running executable (/proc/self/exe: argv[0] may be a relative path or a name looked up in PATH).
            let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
            let started = BuiltinSteps(executable: executable, arguments: try stepArguments(clusterNames: registry.map(\.name)),
                                       logs: stepLogs, now: { InsightStore.now() }, deliver: { watch.deliver($0) })
            // Attempts of built-in steps in flight belong to a scheduler that stopped: they are retried.
            let active: [JobRecord] = try store.jobsOfActiveRuns().values.flatMap { $0 }
            let orphans: [String] = active.filter { record in
                record.cluster == BuiltinSteps.cluster && (record.state == "submitted" || record.state == "running")
            }.compactMap(\.appID)
            started.adopt(inFlight: orphans)
            steps = started
        }
        var pass = SchedulerPass(store: store, dispatcher: SchedulerDispatcher(router: RouterDispatcher(router: base, token: token), steps: steps),
                                 limits: .init(global: maxInFlight, perQueue: maxPerQueue, backfill: maxBackfill),
                                 canceller: SchedulerCanceller(clusters: ClusterCanceller(targets: watched), steps: steps), dispatchWidth: dispatchWidth)
        // One pass (--once) would end the steps it starts as it exits: they wait for the daemon.
        pass.runsBuiltinSteps = steps != nil && !once
        pass.memory = RunMemory()
        let leases = ReplicaLeases(replica: replicaName, leaseMs: Int64(leaseSeconds * 1000))
        pass.leases = leases
        pass.appStatus = watch
        // SIGTERM and SIGINT end the daemon after its pass, giving its leases back so the others take over at once.
        let stopping = Atomic<Bool>(false)
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        let signals = [SIGTERM, SIGINT].map { number in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                stopping.store(true, ordering: .relaxed)
                watch.deliver([])
            }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }
        let metrics = SchedulerMetrics()
        if let metricsPort {
            let runningSteps = steps
            let health: @Sendable () -> [UInt8] = {
                let watches = watch.health.map { health -> JSON in
                    .object(["cluster": .string(health.cluster), "restarts": .int(health.restarts), "relists": .int(health.relists),
                             "changes": .int(health.changes), "last_heard": .int(Int(health.lastHeard)),
                             "last_error": health.lastError.map { .string($0) } ?? .null])
                }
                let replica = leases.snapshot
                return Array(JSON.object(["role": .string("scheduler"), "replica": .string(replica.me.replica), "host": .string(replica.me.host),
                                          "pid": .int(Int(replica.me.pid)), "last_heartbeat": .int(Int(replica.me.heartbeatAt)),
                                          "leases_held": .int(Int(replica.me.leases)), "replicas_alive": .int(replica.live),
                                          "lease_takeovers": .int(replica.takeovers), "leases_lost": .int(replica.leasesLost),
                                          "watches": .array(watches),
                                          "steps_running": .int(runningSteps?.inFlight ?? 0)]).pretty().utf8) + [10]
            }
            let host = metricsHost
            Task.detached {
                do {
                    try await MetricsEndpoint.serve(host: host, port: metricsPort, metrics: { metrics.exposition() }, health: health) { port in
                        say("scheduler: metrics on http://\(host):\(port)/metrics")
                    }
                } catch {
                    printError("bursar scheduler: cannot serve metrics on \(host):\(metricsPort): \(error)")
                }
            }
        }
        var reported = Set<String>()
        var storeBackoff = 0.5
        defer {
            // Stopping cleanly: the leases go back now rather than when they expire.
            try? store.releaseWorkflowLeases(replica: replicaName)
        }
        var definitions: PipelineSnapshot?
        var fingerprint: [String] = []
        while true {
            // The definitions are read and checked again only when a file under Pipelines/ changed.
            let current = PipelineFiles.fingerprint(pipelines)
            if definitions == nil || current != fingerprint {
                let loadStart = ContinuousClock.now
                let (sources, unreadable) = PipelineFiles.read([pipelines])
                let catalog = PipelineCheck.check(sources, context: PipelineContext(), readFile: PipelineFiles.readSparkFile)
                // Problems are said once each, not every pass.
                for problem in unreadable.map(\.description) + catalog.findings.map(\.description) where reported.insert(problem).inserted {
                    printError("bursar scheduler: \(problem)")
                }
                definitions = PipelineSnapshot(catalog: catalog, sources: sources)
                fingerprint = current
                let loaded = ContinuousClock.now - loadStart
                say(String(format: "scheduler: loaded %d workflows (%d jobs) from %@ in %.2f s", catalog.workflows.count, catalog.jobs, pipelines,
                           Double(loaded.components.seconds) + Double(loaded.components.attoseconds) / 1e18))
            }
            guard let definitions else { continue }
            let catalog = definitions.catalog
            if stopping.load(ordering: .relaxed) { break }
            let passStart = ContinuousClock.now
            let drained = watch.drain()
            let report: PassReport
            do {
                report = try pass.run(definitions, now: InsightStore.now(), reports: drained)
                storeBackoff = 0.5
            } catch let lost as LeaseLost {
                // Another replica took a lease over while this pass ran: its writes were rolled back; the next
                // pass claims again and reads what the store holds.
                printError("bursar scheduler: \(lost)")
                metrics.recordLeaseLost()
                watch.requeue(drained)
                continue
            } catch {
                // The store is unreachable (or refused a write): nothing of the pass was kept, and nothing is
                // dispatched until it answers again. Reopen it after a backoff; the reports wait.
                printError("bursar scheduler: the pass failed, retrying in \(storeBackoff) s: \(error)")
                watch.requeue(drained)
                if once { throw ExitCode(1) }
                Thread.sleep(forTimeInterval: storeBackoff)
                storeBackoff = min(storeBackoff * 2, 5)
                do {
                    let reopened = try InsightStore(location)
                    try SchedulerClaim.reclaim(reopened, replica: replicaName)
                    store = reopened
                    pass.store = reopened
                    // A fresh connection: the built-in steps' adoptions and the watch keep running as they were.
                } catch let refused as SchedulerClaim.Refused {
                    printError("bursar scheduler: \(refused)")
                    throw ExitCode(2)
                } catch {
                    printError("bursar scheduler: the store is still unreachable: \(error)")
                }
                continue
            }
            let took = ContinuousClock.now - passStart
            metrics.record(report, seconds: Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18)
            metrics.record(leases: leases, claimSeconds: leases.lastClaimSeconds, takeoversInPass: report.takeovers,
                           roundTripsSoFar: PostgresRoundTrips.count.load(ordering: .relaxed))
            metrics.record(watch.health, now: InsightStore.now())
            if once || report.runsCreated + report.runsStarted + report.runsEnded + report.jobsDispatched > 0 || !report.dispatchFailures.isEmpty {
                say("scheduler: \(catalog.workflows.count) workflows; runs \(report.runsCreated) created, \(report.runsStarted) started, "
                      + "\(report.runsEnded) ended; jobs \(report.jobsReady) ready, \(report.jobsDispatched) dispatched, \(report.jobsHeld) held; "
                      + "\(report.jobsSucceeded) succeeded, \(report.jobsFailed) failed; \(report.deadlinesMissed) deadlines missed")
            }
            for failure in report.cancelFailures { printError("bursar scheduler: could not stop a timed-out attempt: \(failure)") }
            for failure in report.dispatchFailures { printError("bursar scheduler: dispatch failed: \(failure)") }
            if report.builtinWaiting > 0, reported.insert("builtin").inserted {
                printError("bursar scheduler: \(report.builtinWaiting) ready built-in steps (bursar: ingest, allocate…) wait: --no-builtin-steps or --once is set (run the daemon to run them)")
            }
            if report.takeovers > 0 {
                say("scheduler: replica \(replicaName) took over \(report.takeovers) workflows from a replica whose leases expired")
            }
            if once { return }
            if untilIdle, report.runsCreated == 0, try store.activeRuns().isEmpty { return }
            // The next pass comes after --interval, or as soon as a cluster reports something.
            watch.wait(upTo: interval)
        }
    }
}

/// Writes a line to standard output at once (a daemon's lines must reach a file or pipe as they happen, which
/// `print`'s buffering does not do).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
