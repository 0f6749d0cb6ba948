import ArgumentParser
import Foundation
import InsightStore
import Logging
import Routing
import SimCluster
import SimClusterServer

/// `bursar simcluster`: a simulated Kubernetes cluster with YuniKorn and the Spark operator, on loopback.
struct SimClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simcluster",
        abstract: "Serve a simulated cluster (Kubernetes API subset, Spark operator, YuniKorn limits) for tests, demos and benchmarks.",
        discussion: """
        Point a cluster's registry entry at it (kubernetes: server: http://127.0.0.1:PORT) and the router and \
        the scheduler use it as a real cluster. SparkApplications are held while their queue or an ancestor is at \
        max or maxapplications in the deployed yunikorn-configs ConfigMap (nothing is held while none is \
        deployed), run for the annotation bursar.dev/sim-duration-seconds, else the job's last runtime in --store, \
        else --default-duration, fail for bursar.dev/sim-outcome: failed or by the seeded --failure-share, and \
        leave a YuniKorn YK_APP_SUMMARY line in --log-file, which `bursar ingest` reads.

        Once it accepts connections it prints one JSON line to standard output: \
        {"cluster": …, "log_file": …, "port": …}. It stops on SIGTERM or SIGINT, or when standard input \
        closes with --exit-on-stdin-eof.
        """
    )

    @Option(help: "The cluster's name: the RmID of its summary lines.")
    var cluster: String

    @Option(help: "Port to listen on at 127.0.0.1 (0 picks a free one, printed on standard output).")
    var port = 0

    @Option(help: "Where summary lines are appended (default .bursar/simcluster/<cluster>/yunikorn.log).")
    var logFile: String?

    @Option(help: "How summary lines are written: fluentbit (a Fluent Bit record, as the sample's logs) or zap (the scheduler pod's own line).")
    var logFormat = "fluentbit"

    @Option(help: "The share of applications that fail (0 to 1), decided by a hash of --seed and the application's name.")
    var failureShare = 0.0

    @Option(help: "The seed of the failures (hashed with each application's namespace and name), so a run can be replayed.")
    var seed: UInt64 = 1

    @Option(help: "Seconds an application runs when neither its annotation nor the history says (0 to 31536000).")
    var defaultDuration = 30.0

    @Option(help: "Simulated seconds per real second (1 is real time, 60 one simulated minute per second).")
    var speed = 1.0

    @Option(help: "A file holding the bearer token every request (but /readyz) must carry.")
    var tokenFile: String?

    @Option(help: "Watch events kept for watches resuming from a resourceVersion (older: 410 Expired).")
    var historyEvents = 10_000

    @Option(help: "YuniKorn's namespace: its yunikorn-configs ConfigMap is the deployed queue configuration.")
    var yunikornNamespace = "yunikorn"

    @Option(help: "Read each job's last runtime from this store (sqlite:PATH or postgres://…) as its duration.")
    var store: String?

    @Flag(help: "Stop when standard input closes (for tests and scripts that own the process).")
    var exitOnStdinEof = false

    func validate() throws {
        if cluster.isEmpty { throw ValidationError("--cluster needs a name") }
        if !(0...65_535).contains(port) { throw ValidationError("--port \(port) is not a port number (0 to 65535; 0 picks a free one)") }
        if !(0...1).contains(failureShare) { throw ValidationError("--failure-share \(failureShare) is not a share between 0 and 1 (0.05 = 5%)") }
        if !(0...31_536_000).contains(defaultDuration) { throw ValidationError("--default-duration \(defaultDuration) is not between 0 and 31536000 seconds") }
        if !(speed > 0 && speed <= 1_000_000) { throw ValidationError("--speed \(speed) is not above 0 and at most 1000000") }
        if !(1...10_000_000).contains(historyEvents) { throw ValidationError("--history-events \(historyEvents) is not between 1 and 10000000") }
        if SummaryLogFormat(rawValue: logFormat) == nil { throw ValidationError("--log-format \(logFormat): use fluentbit or zap") }
    }

    func run() async throws {
        var settings = SimSettings(cluster: cluster)
        settings.failureShare = failureShare
        settings.seed = seed
        settings.defaultDurationMillis = Int64((defaultDuration * 1000).rounded())
        settings.historyEvents = historyEvents
        settings.yunikornNamespace = yunikornNamespace
        if let store {
            settings.durationFromHistory = try Self.historyDurations(store)
        }
        var options = SimServerOptions()
        options.port = port
        options.speed = speed
        options.logFile = logFile ?? ".bursar/simcluster/\(cluster)/yunikorn.log"
        options.logFormat = SummaryLogFormat(rawValue: logFormat) ?? .fluentbit
        if let tokenFile {
            guard let data = FileManager.default.contents(atPath: tokenFile) else {
                throw ValidationError("--token-file \(tokenFile) cannot be read; check the path and its permissions")
            }
            let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty, !token.contains(where: \.isNewline) else {
                throw ValidationError("--token-file \(tokenFile) does not hold one token on one line")
            }
            options.token = token
        }
        LoggingSystem.bootstrap { JSONLogHandler(label: $0, level: .notice) }
        let server: SimClusterServer
        do {
            server = try SimClusterServer(settings: settings, options: options, logger: Logger(label: "bursar.simcluster"))
        } catch {
            printError("bursar simcluster: \(error)")
            throw ExitCode(2)
        }
        if exitOnStdinEof {
            // SIGTERM ends the service the way an operator's stop does: watches closed, requests finished.
            Thread.detachNewThread {
                _ = FileHandle.standardInput.readDataToEndOfFile()
                kill(getpid(), SIGTERM)
            }
        }
        let cluster = cluster, logFile = options.logFile ?? ""
        try await server.run { port in
            let line = JSONValue.object(["port": .integer(Int64(port)), "cluster": .string(cluster), "log_file": .string(logFile)])
            FileHandle.standardOutput.write(Data((line.jsonText() + "\n").utf8))
        }
    }

    /// Each job's last runtime from the store, looked up by the workflow and job labels.
    static func historyDurations(_ store: String) throws -> @Sendable ([String: String]) -> Int64? {
        let runtimes: [String: [String: Double]]
        do {
            let insights = try InsightStore(try StoreLocation.parse(store))
            runtimes = try insights.lastJobRuntimes()
        } catch {
            printError("bursar simcluster: cannot read job runtimes from --store \(store): \(error)")
            throw ExitCode(2)
        }
        return { labels in
            guard let workflow = labels[IdentityLabel.workflow], let job = labels[IdentityLabel.job],
                  let seconds = runtimes[workflow]?[job] else { return nil }
            return Int64((seconds * 1000).rounded())
        }
    }
}
