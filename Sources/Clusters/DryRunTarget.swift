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

/// A cluster that records instead of sending: the latest writes it would make to the API server are kept in
/// memory and, when a journal file is given, every one is appended to it as one JSON line
/// (`{"body", "cluster", "method", "name", "path"}`).
///
/// It answers like the real API (synthetic uid and resourceVersion, `AlreadyExists` for a taken name, a
/// `Conflict` for a stale resourceVersion) and keeps its own ConfigMap and SparkApplications. Opening an
/// existing journal restores them (see `DryRunJournal`: a torn last line is set aside, an index spares
/// re-reading old lines, applications are looked up on disk), so a second `bursar deploy --dry-run` sees what
/// the first one wrote and shows no diff, and a restarted router still answers status reads.
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
        /// What a status read needs of each application created without a journal, by "namespace/name".
        var applications: [String: CreatedSparkApplication] = [:]
        var revision = 1000
        /// The journal, with its index: applications are looked up there, not held in memory (a router in
        /// dry-run mode creates millions).
        var journal: DryRunJournal?

        func withLock<T>(_ body: (Locked) throws -> T) rethrows -> T {
            lock.lock()
            defer { lock.unlock() }
            return try body(self)
        }
    }

    /// What the start found at the journal's end: a torn last line set aside, or nil.
    public let recovery: JournalRecovery?

    /// A dry-run target; an existing `journal` is restored first: a torn last line (a crash in the middle of a
    /// write) is set aside in `<journal>.torn` and every whole line before it kept; the index beside it
    /// (`<journal>.index`) spares reading the lines it covers, so a restart takes about as long whatever the
    /// journal's size.
    /// - Parameter mergeEvery: how many new applications are held in memory before they go to the index file.
    public init(cluster: String, namespace: String = "yunikorn", sparkNamespace: String = "spark",
                journal: String? = nil, mergeEvery: Int = 65_536) throws {
        self.cluster = cluster
        self.namespace = namespace
        self.sparkNamespace = sparkNamespace
        self.journal = journal
        state = Locked()
        guard let journal else {
            recovery = nil
            return
        }
        let opened: DryRunJournal
        do {
            var lineNumber = 0
            opened = try DryRunJournal(path: journal, mergeEvery: mergeEvery) { line, revision in
                lineNumber += 1
                return try Self.restore(line, revision: revision, cluster: cluster, file: journal, lineNumber: lineNumber)
            }
        } catch let error as ClusterError {
            throw error
        } catch {
            throw ClusterError(.configuration, cluster: cluster, operation: "replay",
                               message: "the dry-run journal \(journal) cannot be read (\(error))",
                               hint: "check the file and its folder are readable and writable")
        }
        recovery = opened.recovery
        if let recovery = opened.recovery {
            // The library has no logger of its own: standard error is where `bursar serve` logs too.
            FileHandle.standardError.write(Data("bursar: dry-run journal \(journal): \(recovery)\n".utf8))
        }
        state.journal = opened
        state.revision = Int(opened.revision)
        if let entry = opened.configMap, let line = opened.line(at: entry.offset),
           let fields = JournalFields(line[...]) {
            state.configMap = try restoreConfigMap(fields.bodyBytes, revision: entry.revision)
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
                       rawBody: manifestJSON, name: created.name, state: state)
            return created
        }
    }

    /// The state of an application this dry run created: always `unknownState`, as nothing runs it.
    public func sparkApplicationStatus(namespace: String?, name: String) throws -> SparkApplicationStatus {
        let namespace = namespace ?? sparkNamespace
        let path = KubernetesTarget.sparkApplicationsPath(namespace) + "/" + name
        guard let created = state.withLock({ application("\(namespace)/\(name)", state: $0) }) else {
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
        if exists(key, state: state) {
            throw ClusterError(.api, cluster: cluster, operation: "POST \(path)", status: 409, reason: "AlreadyExists",
                               message: "sparkapplications.sparkoperator.k8s.io \"\(name)\" already exists",
                               hint: "choose another metadata.name, or use metadata.generateName")
        }
        state.revision += 1
        let created = CreatedSparkApplication(name: name, namespace: namespace, uid: "dry-run-\(cluster)-\(state.revision)",
                                              resourceVersion: String(state.revision))
        if journal == nil { state.applications[key] = created }
        return created
    }

    private func exists(_ key: String, state: Locked) -> Bool {
        if state.applications[key] != nil { return true }
        guard let journal = state.journal else { return false }
        return journal.find(key, confirm: { Self.key(ofLineAt: $0, in: journal) }) != nil
    }

    /// The "namespace/name" of the application the journal line at `offset` created.
    private static func key(ofLineAt offset: UInt64, in journal: DryRunJournal) -> String? {
        guard let line = journal.line(at: offset), let fields = JournalFields(line[...]) else { return nil }
        return fields.applicationKey(revision: 0)
    }

    /// The application called "namespace/name", wherever it is kept.
    private func application(_ key: String, state: Locked) -> CreatedSparkApplication? {
        if let created = state.applications[key] { return created }
        guard let journal = state.journal,
              let entry = journal.find(key, confirm: { Self.key(ofLineAt: $0, in: journal) }) else { return nil }
        let parts = key.split(separator: "/", maxSplits: 1)
        return CreatedSparkApplication(name: String(parts.last ?? ""), namespace: String(parts.first ?? ""),
                                       uid: "dry-run-\(cluster)-\(entry.revision)", resourceVersion: String(entry.revision))
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
            state.configMap = try Self.configMap(body, version: next)
        } catch {
            throw ClusterError(.invalidRequest, cluster: cluster, operation: operation, message: error.reason)
        }
        return next
    }

    private static func configMap(_ body: [UInt8], version: String) throws(QueueConfigMap.Malformed) -> LiveQueueConfig {
        var object = try JSONObject.parse(body)
        var metadata = object["metadata"] as? [String: Any] ?? [:]
        metadata["resourceVersion"] = version
        object["metadata"] = metadata
        return try QueueConfigMap.read(try JSONObject.serialize(object))
    }

    private func restoreConfigMap(_ body: [UInt8], revision: UInt64) throws -> LiveQueueConfig {
        do throws(QueueConfigMap.Malformed) {
            return try Self.configMap(body, version: String(revision))
        } catch {
            throw ClusterError(.configuration, cluster: cluster, operation: "replay",
                               message: "\(journal ?? "the journal"): the last ConfigMap line is not a ConfigMap (\(error.reason))",
                               hint: "move that line out of the file to start from the ConfigMap before it")
        }
    }

    /// Keeps the request and appends it to the journal; a journal that cannot be written fails the call, since a
    /// dry run's only product is its record. The line is `{"body":…,"cluster":…,"method":…,"name":…,"path":…}`
    /// with the body spliced in as the JSON it already is (it was parsed before it got here) and `name` the
    /// application's name (creates only), so a restart reads a line's application from its end without
    /// parsing the manifest. Each line is one `write`; a crash in the middle of one leaves a torn last line,
    /// which the next start sets aside.
    private func record(_ request: RecordedRequest, rawBody: [UInt8], name: String? = nil, state: Locked) throws {
        state.requests.append(request)
        if state.requests.count > 2 * Self.rememberedRequests {
            state.requests.removeFirst(state.requests.count - Self.rememberedRequests)
        }
        guard let journal else { return }
        var line = Array("{\"body\":".utf8)
        line.reserveCapacity(rawBody.count + 160)
        // Outside strings a newline is only whitespace, and inside them JSON has none: a space keeps one line.
        line += rawBody.map { $0 == 10 || $0 == 13 ? 32 : $0 }
        line += Array(",\"cluster\":".utf8) + JSONObject.quoted(cluster)
        line += Array(",\"method\":".utf8) + JSONObject.quoted(request.method)
        if let name { line += Array(",\"name\":".utf8) + JSONObject.quoted(name) }
        line += Array(",\"path\":".utf8) + JSONObject.quoted(request.path)
        line += Array("}\n".utf8)
        do {
            if state.journal == nil { state.journal = try DryRunJournal(path: journal) { _, _ in .other } }
            let offset = try state.journal!.append(line)
            if let name, request.method == "POST" {
                let namespace = request.path.split(separator: "/").dropFirst(4).first.map(String.init) ?? sparkNamespace
                try state.journal!.added("\(namespace)/\(name)", .init(offset: offset, revision: UInt64(state.revision)))
            } else if request.path.contains("/configmaps") {
                state.journal!.configMapWritten(.init(offset: offset, revision: UInt64(state.revision)))
            }
            state.journal!.revision = UInt64(state.revision)
        } catch {
            throw ClusterError(.configuration, cluster: cluster, operation: "\(request.method) \(request.path)",
                               message: "the dry-run journal \(journal) cannot be written (\(error))",
                               hint: "check the folder exists and is writable, or choose another")
        }
    }

    /// What a journal line restores: an application's key, the ConfigMap, or a refusal naming the line.
    private static func restore(_ line: ArraySlice<UInt8>, revision: UInt64, cluster: String, file: String,
                                lineNumber: Int) throws -> JournalLine {
        guard let fields = JournalFields(line) else {
            throw ClusterError(.configuration, cluster: cluster, operation: "replay",
                               message: "\(file):\(lineNumber): not a dry-run journal line",
                               hint: "a whole line was changed by hand: move it out of the file (a torn last line is set aside by itself)")
        }
        if fields.path.contains("/configmaps") { return .configMap }
        if let key = fields.applicationKey(revision: revision) { return .application(key) }
        return .other
    }
}

/// The fields of one journal line, read from its end: `…,"cluster":"c","method":"POST"[,"name":"n"],"path":"p"}`.
/// A line in any other shape (hand-edited, or with escapes in those fields) is parsed as JSON instead.
struct JournalFields {
    var method: String
    var path: String
    var name: String?
    /// The body, as JSON.
    var bodyBytes: [UInt8]

    init?(_ line: ArraySlice<UInt8>) {
        if let fast = Self.fromEnd(line) {
            (method, path, name) = (fast.method, fast.path, fast.name)
            bodyBytes = Array(line[fast.body])
            return
        }
        guard let entry = try? JSONObject.parse(Array(line)), let method = entry["method"] as? String,
              let path = entry["path"] as? String, let body = entry["body"],
              let bytes = try? JSONObject.serialize(body) else { return nil }
        self.method = method
        self.path = path
        name = entry["name"] as? String
        bodyBytes = bytes
    }

    /// "namespace/name" for a SparkApplication create; a manifest with only `generateName` (in a line written
    /// before `name` was added) gets the name the target gave it at `revision`.
    func applicationKey(revision: UInt64) -> String? {
        guard method == "POST", path.hasSuffix("/sparkapplications"),
              let namespace = path.split(separator: "/").dropFirst(4).first else { return nil }
        if let name { return "\(namespace)/\(name)" }
        guard let head = try? ManifestHead.read(bodyBytes),
              let name = head.metadata?.name ?? head.metadata?.generateName.map({ $0 + String(revision, radix: 36) })
        else { return nil }
        return "\(namespace)/\(name)"
    }

    private static func fromEnd(_ line: ArraySlice<UInt8>) -> (method: String, path: String, name: String?, body: Range<Int>)? {
        let first = line.startIndex
        var end = line.endIndex
        guard end - first > 10, line[end - 1] == 0x7D else { return nil }
        end -= 1
        // A quoted string without escapes ending at `end`, preceded by `,"key":`; moves `end` before it.
        func field(_ key: String) -> String? {
            guard end - 2 >= first, line[end - 1] == 0x22 else { return nil }
            var start = end - 2
            while start >= first, line[start] != 0x22 {
                if line[start] == 0x5C { return nil }
                start -= 1
            }
            let prefix = Array(",\"\(key)\":".utf8)
            guard start - prefix.count >= first, line[(start - prefix.count)..<start].elementsEqual(prefix) else {
                return nil
            }
            let value = String(decoding: line[(start + 1)..<(end - 1)], as: UTF8.self)
            end = start - prefix.count
            return value
        }
        guard let path = field("path") else { return nil }
        let name = field("name")
        guard let method = field("method"), field("cluster") != nil else { return nil }
        let opening = Array("{\"body\":".utf8)
        guard line.prefix(opening.count).elementsEqual(opening), end > first + opening.count else { return nil }
        return (method, path, name, (first + opening.count)..<end)
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
