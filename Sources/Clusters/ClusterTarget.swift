/// A SparkApplication the API server accepted.
public struct CreatedSparkApplication: Sendable, Equatable, Codable {
    /// Its name (the server's choice when the manifest gave only `generateName`).
    public var name: String
    /// The namespace it was created in.
    public var namespace: String
    /// The server-assigned uid.
    public var uid: String
    /// Its resourceVersion after creation.
    public var resourceVersion: String

    /// Bundles the fields.
    public init(name: String, namespace: String, uid: String, resourceVersion: String) {
        self.name = name
        self.namespace = namespace
        self.uid = uid
        self.resourceVersion = resourceVersion
    }
}

/// What the Spark operator reports about one SparkApplication.
public struct SparkApplicationStatus: Sendable, Equatable, Codable {
    /// The state the operator has not written yet (it has not seen the application).
    public static let unknownState = "UNKNOWN"

    /// The application's name.
    public var name: String
    /// Its namespace.
    public var namespace: String
    /// Its uid.
    public var uid: String
    /// `.status.applicationState.state` (SUBMITTED, RUNNING, COMPLETED, FAILED, …), or `unknownState`.
    public var state: String
    /// `.status.applicationState.errorMessage`, when the operator gave one.
    public var errorMessage: String?
    /// `.status.sparkApplicationId`: the Spark application ID, once the driver runs.
    public var sparkApplicationID: String?
    /// Its resourceVersion.
    public var resourceVersion: String
    /// Its labels (the router's `bursar.dev/*` identity among them).
    public var labels: [String: String]
    /// `.status.lastSubmissionAttemptTime`: when the operator started the driver (epoch ms), if it has.
    public var submittedAt: Int64?
    /// `.status.terminationTime`: when the application ended (epoch ms), if it has.
    public var terminatedAt: Int64?

    /// Bundles the fields.
    public init(name: String, namespace: String, uid: String, state: String, errorMessage: String? = nil,
                sparkApplicationID: String? = nil, resourceVersion: String, labels: [String: String] = [:],
                submittedAt: Int64? = nil, terminatedAt: Int64? = nil) {
        self.name = name
        self.namespace = namespace
        self.uid = uid
        self.state = state
        self.errorMessage = errorMessage
        self.sparkApplicationID = sparkApplicationID
        self.resourceVersion = resourceVersion
        self.labels = labels
        self.submittedAt = submittedAt
        self.terminatedAt = terminatedAt
    }

    /// The Spark operator's states, read as where the application stands.
    public enum Phase: Sendable, Equatable {
        /// Not started yet (new, submitted, pending a rerun).
        case pending
        case running
        case succeeded
        case failed
    }

    /// Where the application stands: the operator's COMPLETED is success, FAILED and SUBMISSION_FAILED are
    /// failure; RUNNING and SUCCEEDING/FAILING (the driver ending) still run; anything else (NEW, SUBMITTED,
    /// PENDING_RERUN, INVALIDATING) has not started, or starts again.
    public var phase: Phase {
        switch state {
        case "COMPLETED": return .succeeded
        case "FAILED", "SUBMISSION_FAILED": return .failed
        case "RUNNING", "SUCCEEDING", "FAILING": return .running
        default: return .pending
        }
    }
}

/// The `yunikorn-configs` ConfigMap as a cluster holds it now.
public struct LiveQueueConfig: Sendable, Equatable {
    /// Its `queues.yaml` (from `data`, or `binaryData` `queues.yaml.gz` unpacked); nil when the map has no such key
    /// and YuniKorn runs its built-in default.
    public var queuesYAML: String?
    /// The resourceVersion a write must name to replace exactly this state.
    public var resourceVersion: String
    /// The whole object as JSON, so a write keeps every other key, label and annotation as it is.
    public var object: [UInt8]

    /// Bundles the fields.
    public init(queuesYAML: String?, resourceVersion: String, object: [UInt8]) {
        self.queuesYAML = queuesYAML
        self.resourceVersion = resourceVersion
        self.object = object
    }
}

/// The end of a `deployQueueConfig` call.
public struct QueueConfigWrite: Sendable, Equatable {
    /// Whether a write was made (false when the update function declined).
    public var written: Bool
    /// The ConfigMap's resourceVersion afterwards; nil when it does not exist.
    public var resourceVersion: String?
    /// The state the last update decision was made on (nil: the ConfigMap did not exist).
    public var basis: LiveQueueConfig?
    /// The messages of the 409 answers that made it start again from a fresh read.
    public var conflicts: [String]
}

/// Where a cluster's SparkApplications and queue configuration go: a Kubernetes API server, or a dry run.
///
/// Every method is synchronous and safe to call from several threads at once: the router's server runs
/// them on its own threads. Failures are `ClusterError`s.
public protocol ClusterTarget: Sendable {
    /// The cluster's name in the registry.
    var cluster: String { get }
    /// "kubernetes" or "dry-run", for reports.
    var kind: String { get }
    /// Whether calls wait on the network (callers then keep them off threads that must not block). A dry run
    /// answers from memory and a local file.
    var waitsOnNetwork: Bool { get }

    /// Asks whether the cluster can take work now (a Kubernetes API server's `/readyz`); throws the reason
    /// when it cannot. The router probes each cluster with it to route around one that is down.
    func checkReady() throws

    /// Creates a SparkApplication from its JSON manifest in `namespace` (nil: the cluster's `spark_namespace`).
    func createSparkApplication(namespace: String?, manifestJSON: [UInt8]) throws -> CreatedSparkApplication

    /// Reads a SparkApplication's state (nil namespace: the cluster's `spark_namespace`).
    func sparkApplicationStatus(namespace: String?, name: String) throws -> SparkApplicationStatus

    /// The `yunikorn-configs` ConfigMap as it is now; nil when it does not exist.
    func queueConfig() throws -> LiveQueueConfig?

    /// Writes `queuesYAML` over exactly `live` (PUT naming its resourceVersion), or creates the ConfigMap when
    /// `live` is nil (POST). Returns the new resourceVersion. A concurrent change makes it throw a `ClusterError`
    /// with `isConflict`: it never overwrites a state it has not read.
    func applyQueueConfig(_ queuesYAML: String, replacing live: LiveQueueConfig?) throws -> String
}

extension ClusterTarget {
    /// Targets talk to a server unless they say otherwise.
    public var waitsOnNetwork: Bool { true }

    /// How many times `deployQueueConfig` reads and writes before giving up on a ConfigMap that keeps changing.
    public static var defaultDeployAttempts: Int { 5 }

    /// Reads the ConfigMap, lets `update` compute the new `queues.yaml` from that fresh state (nil: write
    /// nothing), and writes it conditionally on the state read. On a 409 (someone changed or created it in
    /// between) it starts again from a fresh read, so `update` always judges what it will replace; after
    /// `maxAttempts` conflicts it throws a `.conflict` error.
    public func deployQueueConfig(
        maxAttempts: Int = defaultDeployAttempts, update: (LiveQueueConfig?) throws -> String?
    ) throws -> QueueConfigWrite {
        var conflicts: [String] = []
        for _ in 0..<max(1, maxAttempts) {
            let live = try queueConfig()
            guard let text = try update(live) else {
                return QueueConfigWrite(written: false, resourceVersion: live?.resourceVersion, basis: live,
                                        conflicts: conflicts)
            }
            do {
                let version = try applyQueueConfig(text, replacing: live)
                return QueueConfigWrite(written: true, resourceVersion: version, basis: live, conflicts: conflicts)
            } catch let error as ClusterError where error.isConflict {
                conflicts.append(error.message)
            }
        }
        throw ClusterError(
            .conflict, cluster: cluster, operation: "deploy \(QueueConfigMap.name)",
            message: "the ConfigMap changed between read and write \(conflicts.count) times in a row (last: "
                + "\(conflicts.last ?? "")); nothing was overwritten",
            hint: "find the other writer (kubectl, another bursar deploy) and retry when it is done")
    }
}
