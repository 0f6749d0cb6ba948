import Foundation

/// One request a dry-run target would have sent.
public struct RecordedRequest: Sendable, Equatable, Codable {
    /// POST or PUT (reads are not recorded: they change nothing).
    public var method: String
    /// The API path, as the Kubernetes target would use it.
    public var path: String
    /// The JSON body.
    public var body: String

    /// Bundles the fields.
    public init(method: String, path: String, body: String) {
        self.method = method
        self.path = path
        self.body = body
    }
}

/// A cluster that records instead of sending: every write it would make to the API server is kept in memory
/// and, when a journal file is given, appended to it as one JSON line (`{"method", "path", "body"}`).
///
/// It answers like the real API (synthetic uid and resourceVersion, `AlreadyExists` for a taken name, a
/// `Conflict` for a stale resourceVersion) and keeps its own ConfigMap and SparkApplications. Opening an
/// existing journal replays it, so a second `bursar deploy --dry-run` sees what the first one wrote and shows
/// no diff.
public final class DryRunTarget: ClusterTarget {
    /// The cluster's name.
    public let cluster: String
    /// "dry-run".
    public var kind: String { "dry-run" }
    /// Never: everything stays in memory and the journal.
    public var waitsOnNetwork: Bool { false }
    /// YuniKorn's namespace in the recorded paths.
    public let namespace: String
    /// Where SparkApplications go when no namespace is given.
    public let sparkNamespace: String
    /// The JSON-lines file every write is appended to, if any.
    public let journal: String?
    private let state: Locked

    /// The mutable part, under a lock (calls may come from several threads).
    private final class Locked: @unchecked Sendable {
        // @unchecked: every field is read and written only inside `withLock`.
        let lock = NSLock()
        var requests: [RecordedRequest] = []
        var configMap: LiveQueueConfig?
        /// What a status read needs of each application created, by "namespace/name" (not the manifests: a
        /// router in dry-run mode creates millions).
        var applications: [String: CreatedSparkApplication] = [:]
        var revision = 1000
        /// The journal, opened on the first write and kept open.
        var handle: FileHandle?

        func withLock<T>(_ body: (Locked) throws -> T) rethrows -> T {
            lock.lock()
            defer { lock.unlock() }
            return try body(self)
        }
    }

    /// A dry-run target; an existing `journal` is replayed first.
    public init(cluster: String, namespace: String = "yunikorn", sparkNamespace: String = "spark",
                journal: String? = nil) throws {
        self.cluster = cluster
        self.namespace = namespace
        self.sparkNamespace = sparkNamespace
        self.journal = journal
        state = Locked()
        if let journal, let data = FileManager.default.contents(atPath: journal) {
            try replay(data, from: journal)
        }
    }

    /// The writes recorded by this instance (replayed ones excluded), in order: the latest
    /// `rememberedRequests` of them; the journal has them all.
    public var requests: [RecordedRequest] { state.withLock { $0.requests } }

    /// How many recorded writes are kept in memory for `requests`.
    public static let rememberedRequests = 10_000

    /// Records the POST and keeps the application, with a synthetic uid and resourceVersion.
    /// A dry run is always ready: nothing is sent anywhere.
    public func checkReady() throws {}

    public func createSparkApplication(namespace: String?, manifestJSON: [UInt8]) throws -> CreatedSparkApplication {
        let namespace = namespace ?? sparkNamespace
        let path = KubernetesTarget.sparkApplicationsPath(namespace)
        let head: ManifestHead
        do {
            head = try ManifestHead.read(manifestJSON)
        } catch {
            throw ClusterError(.invalidRequest, cluster: cluster, operation: "POST \(path)", message: error.reason,
                               hint: "send a SparkApplication manifest as a JSON object")
        }
        return try state.withLock { state in
            let created = try createApplication(head, namespace: namespace, path: path, state: state)
            try record(RecordedRequest(method: "POST", path: path, body: String(decoding: manifestJSON, as: UTF8.self)),
                       rawBody: manifestJSON, state: state)
            return created
        }
    }

    /// The state of an application this dry run created: always `unknownState`, as nothing runs it.
    public func sparkApplicationStatus(namespace: String?, name: String) throws -> SparkApplicationStatus {
        let namespace = namespace ?? sparkNamespace
        let path = KubernetesTarget.sparkApplicationsPath(namespace) + "/" + name
        guard let created = state.withLock({ $0.applications["\(namespace)/\(name)"] }) else {
            throw ClusterError(.api, cluster: cluster, operation: "GET \(path)", status: 404, reason: "NotFound",
                               message: "sparkapplications.sparkoperator.k8s.io \"\(name)\" not found",
                               hint: "a dry run knows only the applications it created")
        }
        return SparkApplicationStatus(name: created.name, namespace: created.namespace, uid: created.uid,
                                      state: SparkApplicationStatus.unknownState, resourceVersion: created.resourceVersion)
    }

    /// The ConfigMap as this dry run (and the journal it replayed) left it.
    public func queueConfig() throws -> LiveQueueConfig? {
        state.withLock { $0.configMap }
    }

    /// Records the POST or PUT and stores the result, refusing a stale resourceVersion as the API server does.
    public func applyQueueConfig(_ queuesYAML: String, replacing live: LiveQueueConfig?) throws -> String {
        let collection = KubernetesTarget.configMapsPath(namespace)
        let operation = live == nil ? "POST \(collection)" : "PUT \(collection)/\(QueueConfigMap.name)"
        let body: [UInt8]
        do throws(QueueConfigMap.Malformed) {
            if let live {
                body = try QueueConfigMap.replacing(live, with: queuesYAML)
            } else {
                body = try QueueConfigMap.new(queuesYAML: queuesYAML, namespace: namespace)
            }
        } catch {
            throw ClusterError(.invalidRequest, cluster: cluster, operation: operation, message: error.reason)
        }
        return try state.withLock { state in
            let version = try storeConfigMap(body, expecting: live?.resourceVersion, creating: live == nil,
                                             operation: operation, state: state)
            let parts = operation.split(separator: " ", maxSplits: 1)
            try record(RecordedRequest(method: String(parts[0]), path: String(parts[1]),
                                       body: String(decoding: body, as: UTF8.self)), rawBody: body, state: state)
            return version
        }
    }

    // MARK: - State

    private func createApplication(_ head: ManifestHead, namespace: String, path: String,
                                   state: Locked) throws -> CreatedSparkApplication {
        guard let name = head.metadata?.name ?? head.metadata?.generateName.map({
            $0 + String(state.revision + 1, radix: 36)
        }) else {
            throw ClusterError(.api, cluster: cluster, operation: "POST \(path)", status: 422, reason: "Invalid",
                               message: "SparkApplication is invalid: metadata.name: Required value",
                               hint: "the object was refused as sent: fix it as the message says")
        }
        let key = "\(namespace)/\(name)"
        if state.applications[key] != nil {
            throw ClusterError(.api, cluster: cluster, operation: "POST \(path)", status: 409, reason: "AlreadyExists",
                               message: "sparkapplications.sparkoperator.k8s.io \"\(name)\" already exists",
                               hint: "choose another metadata.name, or use metadata.generateName")
        }
        state.revision += 1
        let created = CreatedSparkApplication(name: name, namespace: namespace, uid: "dry-run-\(cluster)-\(state.revision)",
                                              resourceVersion: String(state.revision))
        state.applications[key] = created
        return created
    }

    /// Stores a ConfigMap body as the API server would: conditional on the resourceVersion, a new version after.
    private func storeConfigMap(_ body: [UInt8], expecting version: String?, creating: Bool, operation: String,
                                state: Locked) throws -> String {
        if creating, state.configMap != nil {
            throw ClusterError(.api, cluster: cluster, operation: operation, status: 409, reason: "AlreadyExists",
                               message: "configmaps \"\(QueueConfigMap.name)\" already exists")
        }
        if !creating, state.configMap?.resourceVersion != version {
            throw ClusterError(.api, cluster: cluster, operation: operation, status: 409, reason: "Conflict",
                               message: "Operation cannot be fulfilled on configmaps \"\(QueueConfigMap.name)\": the object has been modified; please apply your changes to the latest version and try again")
        }
        state.revision += 1
        let next = String(state.revision)
        do throws(QueueConfigMap.Malformed) {
            var object = try JSONObject.parse(body)
            var metadata = object["metadata"] as? [String: Any] ?? [:]
            metadata["resourceVersion"] = next
            object["metadata"] = metadata
            state.configMap = try QueueConfigMap.read(try JSONObject.serialize(object))
        } catch {
            throw ClusterError(.invalidRequest, cluster: cluster, operation: operation, message: error.reason)
        }
        return next
    }

    /// Keeps the request and appends it to the journal; a journal that cannot be written fails the call, since a
    /// dry run's only product is its record. The line is `{"body":…,"cluster":…,"method":…,"path":…}` with the
    /// body spliced in as the JSON it already is (it was parsed before it got here).
    private func record(_ request: RecordedRequest, rawBody: [UInt8], state: Locked) throws {
        state.requests.append(request)
        if state.requests.count > 2 * Self.rememberedRequests {
            state.requests.removeFirst(state.requests.count - Self.rememberedRequests)
        }
        guard let journal else { return }
        var line = Array("{\"body\":".utf8)
        line.reserveCapacity(rawBody.count + 128)
        line += rawBody
        line += Array(",\"cluster\":".utf8) + JSONObject.quoted(cluster)
        line += Array(",\"method\":".utf8) + JSONObject.quoted(request.method)
        line += Array(",\"path\":".utf8) + JSONObject.quoted(request.path)
        line += Array("}\n".utf8)
        do {
            if state.handle == nil {
                let folder = (journal as NSString).deletingLastPathComponent
                if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
                if !FileManager.default.fileExists(atPath: journal) {
                    _ = FileManager.default.createFile(atPath: journal, contents: nil)
                }
                guard let handle = FileHandle(forWritingAtPath: journal) else { throw CocoaError(.fileWriteNoPermission) }
                try handle.seekToEnd()
                state.handle = handle
            }
            try state.handle!.write(contentsOf: Data(line))
        } catch {
            state.handle = nil
            throw ClusterError(.configuration, cluster: cluster, operation: "\(request.method) \(request.path)",
                               message: "the dry-run journal \(journal) cannot be written (\(error))",
                               hint: "check the folder exists and is writable, or choose another")
        }
    }

    /// Rebuilds the ConfigMap and SparkApplications from an earlier run's journal.
    private func replay(_ data: Data, from journal: String) throws {
        try state.withLock { state in
            for (index, line) in data.split(separator: 10).enumerated() where !line.isEmpty {
                guard let entry = try? JSONObject.parse(Array(line)), let method = entry["method"] as? String,
                      let path = entry["path"] as? String, let body = entry["body"],
                      let bytes = try? JSONObject.serialize(body) else {
                    throw ClusterError(.configuration, cluster: cluster, operation: "replay",
                                       message: "\(journal):\(index + 1): not a dry-run journal line",
                                       hint: "delete or move the file to start a fresh dry run")
                }
                if path.contains("/configmaps") {
                    _ = try storeConfigMap(bytes, expecting: state.configMap?.resourceVersion, creating: method == "POST",
                                           operation: "\(method) \(path)", state: state)
                } else if let head = try? ManifestHead.read(bytes), let namespace = path.split(separator: "/").dropFirst(4).first {
                    _ = try createApplication(head, namespace: String(namespace), path: path, state: state)
                }
            }
        }
    }
}

/// The part of a SparkApplication a dry run needs: its name. Decoding only that skips building the whole
/// manifest as Foundation objects on every submission.
struct ManifestHead: Decodable {
    struct Metadata: Decodable {
        var name: String?
        var generateName: String?
    }

    var metadata: Metadata?

    private static let decoder = JSONDecoder()

    static func read(_ bytes: [UInt8]) throws(QueueConfigMap.Malformed) -> ManifestHead {
        do {
            return try decoder.decode(ManifestHead.self, from: Data(bytes))
        } catch DecodingError.typeMismatch(_, let context) where context.codingPath.isEmpty {
            throw QueueConfigMap.Malformed(reason: "the body is JSON but not an object")
        } catch {
            throw QueueConfigMap.Malformed(reason: "the body is not a JSON object with string metadata fields")
        }
    }
}
