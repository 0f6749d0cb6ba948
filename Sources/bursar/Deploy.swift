import SafeFiles
import Platform
import Allocation
import ArgumentParser
import Clusters
import Foundation
import NightlyPlan

/// `bursar deploy CLUSTER…`: validate `Queues/<cluster>/queues.yaml`, diff it against what the cluster runs,
/// refuse large tier-1 cuts unless forced, and write the `yunikorn-configs` ConfigMap.
struct DeployCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Deploy Queues/<cluster>/queues.yaml to each named cluster's yunikorn-configs ConfigMap.",
        discussion: """
        For each cluster: the configuration is checked with YuniKorn's validator (an invalid one is never \
        sent), compared with the ConfigMap the cluster holds (the diff is printed), and refused when it cuts a \
        tier-1 queue's guaranteed vcore or memory by more than policy.yaml allows (deploy.max_tier1_shrink_fraction, \
        default max_change_fraction) or drops one, unless --force is given. The write names the resourceVersion \
        read; if the ConfigMap changed in between, the deploy starts again from a fresh read and judges the change \
        anew, so a concurrent edit is never overwritten unseen.

        Clusters without a kubernetes: section in the registry, and every cluster with --dry-run, go to a dry \
        run: the requests are appended to <dry-run-dir>/<cluster>.jsonl, which later dry runs read back.

        The files are read holding the lock bursar allocate holds while it writes the folder; a plan a crash \
        left half-written there is first finished or undone (the store, --store, tells whether it was committed).

        Exit codes: 0 applied or unchanged, 1 usage, 2 an input is unreadable (registry, policy, queues.yaml, \
        unknown cluster), 3 invalid configuration, 6 refused (tier-1 cut without --force), 7 the cluster's API \
        failed. With several clusters the first of 2, 7, 3, 6 that occurred is returned.
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Argument(help: "Clusters to deploy to, as named in the registry.")
    var names: [String]

    @Option(help: "Folder holding <cluster>/queues.yaml.")
    var queues = "Queues"

    @Option(help: "The cluster registry.")
    var clusters = "Queues/clusters.yaml"

    @Option(help: "The policy (deploy.max_tier1_shrink_fraction).")
    var policy = "Queues/policy.yaml"

    @Flag(help: "Record the requests instead of sending them.")
    var dryRun = false

    @Option(help: "Folder of the dry-run journals.")
    var dryRunDir = ClusterTargets.defaultDryRunFolder

    @Flag(help: "Apply even when a tier-1 queue's guaranteed resources shrink past the policy (admins only).")
    var force = false

    @Option(help: "Output format: text for people, json for scripts.")
    var format: Format = .text

    @OptionGroup var store: StoreOption

    func validate() throws {
        if names.isEmpty { throw ValidationError("name at least one cluster to deploy to") }
    }

    /// A failure that stopped one cluster's deploy before a report existed.
    struct Failure: Encodable {
        var cluster: String
        var exitCode: Int32
        var kind: String
        var message: String
        var status: Int?
        var reason: String?

        enum CodingKeys: String, CodingKey {
            case cluster, kind, message, status, reason
            case exitCode = "exit_code"
        }
    }

    func run() throws {
        let registry: [Cluster]
        let rules: AllocationPolicy
        do {
            registry = try ClusterRegistry.load(file: clusters)
            rules = try AllocationPolicy.load(file: policy)
        } catch {
            printError("bursar: \(error)")
            throw ExitCode(2)
        }
        let texts = try readConfigurations()
        var reports: [DeployReport] = []
        var failures: [Failure] = []
        for name in names {
            guard let cluster = registry.first(where: { $0.name == name }) else {
                failures.append(Failure(cluster: name, exitCode: 2, kind: "unknown-cluster",
                                        message: "\(clusters) has no cluster \"\(name)\"; it lists \(registry.map(\.name).joined(separator: ", "))"))
                continue
            }
            let file = "\(queues)/\(name)/queues.yaml"
            let text: String
            switch texts[name]! {
            case .success(let content): text = content
            case .failure(let error):
                failures.append(Failure(cluster: name, exitCode: 2, kind: "unreadable", message: "\(file): \(error)"))
                continue
            }
            do {
                let target = try ClusterTargets.target(for: cluster, dryRun: dryRun, dryRunFolder: dryRunDir)
                reports.append(try QueueDeployment.deploy(cluster: name, file: file, newText: text, to: target,
                                                          policy: rules, force: force))
            } catch let error as ClusterError {
                failures.append(Failure(cluster: name, exitCode: 7, kind: error.kind.rawValue, message: error.description,
                                        status: error.status, reason: error.reason))
            }
        }
        switch format {
        case .text:
            print(reports.map(\.text).joined(separator: "\n"), terminator: "")
            for failure in failures { printError("bursar: deploy \(failure.cluster): \(failure.message)") }
        case .json:
            struct Document: Encodable {
                var deployments: [DeployReport]
                var failures: [Failure]
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(Document(deployments: reports, failures: failures))
            print(String(decoding: data, as: UTF8.self))
        }
        let codes = failures.map(\.exitCode) + reports.map(\.exitCode)
        if let worst = [2, 7, 3, 6].first(where: { codes.contains(Int32($0)) }) { throw ExitCode(Int32(worst)) }
    }

    /// Each named cluster's queues.yaml, read under the plan lock of the folder after any recovery, so a deploy
    /// never sends files of a plan that is being written or was never committed.
    func readConfigurations() throws -> [String: Result<String, InputFiles.ReadError>] {
        do {
            let lock = try FolderLock.acquire(queues, create: false) {
                printError("bursar: waiting for a bursar run writing \(queues) to finish")
            }
            defer { withExtendedLifetime(lock) {} }
            if lock != nil, PlanRecovery.hasJournal(in: queues) {
                let insights = try store.open()
                if let outcome = try PlanRecovery.recover(in: queues, isCommitted: insights.isPlanCommitted) {
                    printError("bursar: \(outcome.description)")
                }
            }
            var texts: [String: Result<String, InputFiles.ReadError>] = [:]
            for name in names { texts[name] = InputFiles.readFile("\(queues)/\(name)/queues.yaml") }
            return texts
        } catch let error as ExitCode {
            throw error
        } catch {
            printError("bursar: \(error)")
            throw ExitCode(2)
        }
    }
}
