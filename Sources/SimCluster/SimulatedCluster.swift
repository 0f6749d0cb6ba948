public import Ingest
public import Routing
import QueueConfig
import Foundation
import Gzip
import SourceDocuments
import Timestamps

/// How a simulated cluster behaves.
public struct SimSettings: Sendable {
    /// The cluster's name: the RmID of its summary lines, so ingestion files them under this cluster.
    public var cluster: String
    /// Where YuniKorn runs: the `yunikorn-configs` ConfigMap of this namespace is the deployed configuration.
    public var yunikornNamespace = "yunikorn"
    /// How long an application runs when neither its annotation nor the history says.
    public var defaultDurationMillis: Int64 = 30_000
    /// The share of applications (0…1) that fail, unless their annotation forces the outcome.
    public var failureShare = 0.0
    /// The seed of the failures (hashed with each application's namespace and name), so a run can be replayed.
    public var seed: UInt64 = 1
    /// How many watch events are kept for watches that resume from a resourceVersion.
    public var historyEvents = 10_000
    /// How many finished applications are kept before the oldest are deleted (as the operator's TTL would).
    public var maxFinishedApplications = 50_000
    /// The largest manifest or ConfigMap body accepted, in bytes.
    public var maxObjectBytes = 1 << 20
    /// How long an application ran before, from its `metadata.labels` (workflow, job); the edge fills it from
    /// the workflow history. Nil, or nil for an application: the default duration.
    public var durationFromHistory: (@Sendable ([String: String]) -> Int64?)?

    /// Settings for `cluster` with the defaults above.
    public init(cluster: String) {
        self.cluster = cluster
    }
}

/// One SparkApplication and where it is in its life.
public struct SimApplication: Sendable {
    /// `.status.applicationState.state` as the Spark operator writes it.
    public enum State: String, Sendable, CaseIterable {
        /// Created and submitted, waiting for YuniKorn to admit it.
        case submitted = "SUBMITTED"
        /// Admitted: the driver runs.
        case running = "RUNNING"
        case completed = "COMPLETED"
        case failed = "FAILED"
    }

    /// Its namespace.
    public var namespace: String
    /// Its name.
    public var name: String
    /// The uid the cluster gave it.
    public var uid: String
    /// What the manifest says (queue, app id, user, resources, forced duration and outcome).
    public var manifest: SparkManifest
    /// The object as the API serves it.
    public var object: JSONValue
    /// Its state.
    public var state: State
    /// When it was created, ms since 1970.
    public var createdAt: Int64
    /// When YuniKorn admitted it; nil while it waits.
    public var startedAt: Int64?
    /// When it is (or was) due to end; nil while it waits.
    public var finishAt: Int64?
    /// Whether it ends FAILED.
    public var willFail: Bool
    /// Creation order, for FIFO admission.
    var sequence: Int64
    /// The queue paths (interned) its resources are counted against while it runs.
    var charged: [Int] = []
    /// What it asks for, in the three amounts admission compares.
    var amounts = Amounts()

    var key: String { namespace + "/" + name }
}

/// What a call changed: the watch events to deliver and the summary lines to log, in order.
public struct SimStep: Sendable {
    /// State changes, in resourceVersion order.
    public var events: [WatchEvent] = []
    /// Applications that ran and ended, in the order they ended.
    public var summaries: [AppSummary] = []

    /// Nothing changed.
    public init() {}

    mutating func append(_ other: SimStep) {
        events += other.events
        summaries += other.summaries
    }
}

/// A Kubernetes cluster with the Spark operator and YuniKorn, as a value: SparkApplications are admitted
/// under the deployed queue limits, run for a duration, succeed or fail, and leave YuniKorn's summary line.
///
/// Pure: time is passed in (epoch milliseconds) on every call and never read, so a what-if simulator can run
/// it faster than real time. Every call that takes a time first advances the cluster to it. Time never goes
/// back: an earlier time counts as the latest one seen. A call that throws has changed nothing.
public struct SimulatedCluster: Sendable {
    /// The settings it was made with.
    public let settings: SimSettings
    /// The cluster's revision: one counter for every object, as etcd's.
    public private(set) var revision: Int64 = 1000
    /// The latest time seen.
    public private(set) var clock: Int64
    /// The deployed limits; nil while no `queues.yaml` is deployed, and then nothing is held back.
    public private(set) var limits: QueueLimits?
    /// The last events, for watches that resume.
    public private(set) var history: WatchHistory

    private var applications: [String: SimApplication] = [:]
    /// SUBMITTED applications in creation order.
    private var pending: [Waiting] = []
    /// Keys of RUNNING applications by (finishAt, sequence).
    private var running: [(finishAt: Int64, sequence: Int64, key: String)] = []
    /// Finished applications (key and creation sequence, as a name can be taken again after a deletion), oldest
    /// first, for the cleanup past `maxFinishedApplications`.
    private var finished: [(key: String, sequence: Int64)] = []
    private var finishedStart = 0
    /// Queue paths as small integers, so an admission pass over thousands of waiting applications indexes arrays
    /// instead of hashing strings.
    private var pathIDs: [String: Int] = [:]
    /// What runs in each path (by id): the amounts and the number of applications.
    private var usage: [(amounts: Amounts, applications: UInt64)] = []
    /// Where each queue (by id) places an application under the current limits; cleared when they change.
    private var placements: [Int: Placement] = [:]
    /// Whether an admission pass could admit something (an arrival, a release or new limits since the last).
    private var admissionDue = false
    /// Whether every waiting application must be checked again (a release or new limits). Otherwise only the
    /// arrivals since the last pass are: usage only grew, so what did not fit then does not fit now.
    private var rescanAll = false
    /// How many of `pending`, from the front, the last pass checked.
    private var checkedThrough = 0
    private var sequence: Int64 = 0
    private var configMaps: [String: JSONValue] = [:]
    /// The path of each id.
    private var pathNames: [String] = []
    /// Mixed into uids so two clusters, or two runs, never hand out the same one (outcomes depend on the name
    /// and the seed only, so a run stays replayable).
    private let uidSalt: UInt64

    /// The API group and version of SparkApplications.
    public static let sparkAPIVersion = "sparkoperator.k8s.io/v1beta2"
    static let sparkGroup = "sparkoperator.k8s.io"

    /// An empty cluster whose clock starts at `start`.
    public init(settings: SimSettings, start: Int64) {
        self.settings = settings
        clock = start
        history = WatchHistory(capacity: settings.historyEvents)
        uidSalt = Self.mix(Self.fnv(settings.cluster) ^ UInt64(bitPattern: start))
    }

    // MARK: - Reading

    /// The number of applications in each state, and in all.
    public var counts: [SimApplication.State: Int] {
        var counts: [SimApplication.State: Int] = [:]
        for application in applications.values { counts[application.state, default: 0] += 1 }
        return counts
    }

    /// When the next running application is due to end.
    public var nextDue: Int64? { running.first?.finishAt }

    /// One application, if it exists.
    public func application(namespace: String, name: String) -> SimApplication? {
        applications[namespace + "/" + name]
    }

    /// A SparkApplication object; 404 when absent.
    public func sparkApplication(namespace: String, name: String) throws(SimClusterError) -> JSONValue {
        guard let application = applications[namespace + "/" + name] else {
            throw .notFound("sparkapplications", group: Self.sparkGroup, name: name)
        }
        return application.object
    }

    /// The SparkApplications of `namespace` (nil: every namespace) that `selector` selects, in key order, and
    /// the revision the list is consistent with.
    public func list(namespace: String?, selector: LabelSelector) -> (items: [JSONValue], resourceVersion: Int64) {
        let selected = applications.values.filter {
            (namespace == nil || $0.namespace == namespace) && selector.matches($0.manifest.labels)
        }
        let items = selected.sorted { ($0.namespace, $0.name) < ($1.namespace, $1.name) }.map(\.object)
        return (items, revision)
    }

    /// The events a watch starts with: from `resourceVersion` on (410 `Expired` when the history no longer
    /// reaches back there), or, for nil or 0, a synthetic ADDED for every object now, as the API server does.
    public func watchStart(namespace: String?, selector: LabelSelector, resourceVersion: Int64?)
        throws(SimClusterError) -> [WatchEvent]
    {
        guard let resourceVersion, resourceVersion != 0 else {
            return list(namespace: namespace, selector: selector).items.map { object in
                WatchEvent(kind: .added, resourceVersion: Self.resourceVersion(of: object),
                           namespace: object["metadata"]?["namespace"]?.stringValue ?? "", object: object)
            }
        }
        return try history.events(after: resourceVersion).filter { Self.event($0, matches: namespace, selector) }
    }

    /// Whether a watch on `namespace` (nil: all) with `selector` delivers `event`.
    public static func event(_ event: WatchEvent, matches namespace: String?, _ selector: LabelSelector) -> Bool {
        (namespace == nil || event.namespace == namespace)
            && (selector.terms.isEmpty || selector.matches(SparkManifest.stringMap(event.object["metadata"]?["labels"])))
    }

    static func resourceVersion(of object: JSONValue) -> Int64 {
        object["metadata"]?["resourceVersion"]?.stringValue.flatMap { Int64($0) } ?? 0
    }

    // MARK: - Parsing bodies

    /// Parses a request body into an object, refusing one over `maxObjectBytes` (413) or not JSON (400).
    public func parseObject(_ bytes: [UInt8]) throws(SimClusterError) -> JSONValue {
        guard bytes.count <= settings.maxObjectBytes else {
            throw SimClusterError(.requestEntityTooLarge, "the object is \(bytes.count) bytes; the simulated cluster takes at "
                + "most \(settings.maxObjectBytes) (keep large files out of the manifest)")
        }
        do {
            let value = JSONValue(try JSONSource.parse(bytes))
            guard value.members != nil else {
                throw SimClusterError(.badRequest, "the body of the request is JSON but not an object")
            }
            return value
        } catch let error as SyntaxError {
            let place = error.line.map { " at line \($0), column \(error.column ?? 0)" } ?? ""
            throw SimClusterError(.badRequest, "the body of the request could not be decoded\(place): \(error.message)")
        } catch let error as SimClusterError {
            throw error
        } catch {
            throw SimClusterError(.badRequest, "the body of the request could not be decoded: \(error)")
        }
    }

    // MARK: - SparkApplications

    /// Creates a SparkApplication in `namespace` at `now`: it gets a uid, the next resourceVersion, its
    /// `creationTimestamp` and the SUBMITTED state. 409 for a taken name, 422 for a field the simulation cannot
    /// read (naming it), 400 for a body that is not a SparkApplication.
    public mutating func create(_ manifest: JSONValue, namespace: String, at now: Int64)
        throws(SimClusterError) -> (object: JSONValue, step: SimStep)
    {
        var object = manifest
        guard object["kind"]?.stringValue == "SparkApplication" else {
            throw SimClusterError(.badRequest, "the kind of the provided object \(object["kind"]?.jsonText() ?? "(none)") is not SparkApplication")
        }
        var metadata = object["metadata"] ?? .object([])
        if let sent = metadata["namespace"]?.stringValue, sent != namespace {
            throw SimClusterError(.badRequest, "the namespace of the provided object does not match the namespace sent on the request")
        }
        if metadata["resourceVersion"] != nil {
            throw SimClusterError(.badRequest, "resourceVersion should not be set on objects to be created")
        }
        let name: String
        if let given = metadata["name"]?.stringValue, !given.isEmpty {
            name = given
        } else if let prefix = metadata["generateName"]?.stringValue, !prefix.isEmpty {
            name = prefix + String(Self.mix(uidSalt &+ UInt64(revision)) % 60_466_176, radix: 36)
        } else {
            throw SimClusterError(.invalid, "SparkApplication \"\" is invalid: metadata.name: Required value: name or generateName is required",
                                  field: "metadata.name")
        }
        guard Self.isSubdomain(name) else {
            throw SimClusterError.invalid(kind: "SparkApplication", name: name, field: "metadata.name",
                                          "Invalid value: \"\(name)\": a lowercase RFC 1123 subdomain must consist of lower case "
                                          + "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character")
        }
        let key = namespace + "/" + name
        guard applications[key] == nil else {
            throw SimClusterError(.alreadyExists, "sparkapplications.\(Self.sparkGroup) \"\(name)\" already exists",
                                  name: name, resource: "sparkapplications")
        }
        let facts = try SparkManifest.read(object, name: name)
        // Every check is above: a call that throws changes nothing (its events would reach no watcher).
        var step = advance(to: now)

        revision += 1
        sequence += 1
        let uid = Self.uuid(Self.mix(uidSalt ^ settings.seed &+ UInt64(sequence)), Self.mix(uidSalt &+ UInt64(revision)))
        metadata["name"] = .string(name)
        metadata["namespace"] = .string(namespace)
        metadata["uid"] = .string(uid)
        metadata["resourceVersion"] = .string(String(revision))
        metadata["generation"] = .integer(1)
        metadata["creationTimestamp"] = .string(Self.rfc3339(clock))
        object["apiVersion"] = .string(Self.sparkAPIVersion)
        object["metadata"] = metadata
        // The operator submits at once; the driver then waits for YuniKorn.
        object["status"] = .object([
            "applicationState": .object(["state": .string(SimApplication.State.submitted.rawValue)]),
            "submissionAttempts": .integer(1),
            "lastSubmissionAttemptTime": .string(Self.rfc3339(clock)),
        ])
        let fails = facts.forcedFailure ?? (Self.unitInterval(seed: settings.seed, key: key) < settings.failureShare)
        var application = SimApplication(namespace: namespace, name: name, uid: uid, manifest: facts, object: object,
                                         state: .submitted, createdAt: clock, willFail: fails, sequence: sequence)
        application.amounts = Amounts(facts.demand)
        applications[key] = application
        pending.append(Waiting(key: key, queue: intern(facts.queue), amounts: application.amounts))
        admissionDue = true
        step.events.append(record(.added, application))
        return (object, step)
    }

    /// Deletes a SparkApplication at `now`. A running one ends there (its summary line is written, as YuniKorn
    /// writes one when the operator removes the pods); one that never started leaves none. 404 when absent.
    public mutating func delete(namespace: String, name: String, at now: Int64)
        throws(SimClusterError) -> (object: JSONValue, step: SimStep)
    {
        let key = namespace + "/" + name
        guard let before = applications[key] else {
            throw .notFound("sparkapplications", group: Self.sparkGroup, name: name)
        }
        var step = advance(to: now)
        // The cleanup of finished applications may have deleted it just now: then that was the deletion.
        guard var application = applications.removeValue(forKey: key) else { return (before.object, step) }
        switch application.state {
        case .submitted:
            if let index = pending.firstIndex(where: { $0.key == key }) {
                pending.remove(at: index)
                if index < checkedThrough { checkedThrough -= 1 }
            }
        case .running:
            running.removeAll { $0.key == key }
            release(application)
            step.summaries.append(summary(application, endedAt: clock, state: "Completed"))
            admissionDue = true
            rescanAll = true
        case .completed, .failed:
            break  // left in `finished`; the cleanup skips keys that are gone
        }
        revision += 1
        application.object["metadata"]?["resourceVersion"] = .string(String(revision))
        step.events.append(record(.deleted, application))
        return (application.object, step)
    }

    /// Moves the cluster to `now`: admits what fits (FIFO by creation), ends what is due, in time order, and
    /// returns the changes and the summary lines to write.
    public mutating func advance(to now: Int64) -> SimStep {
        var step = SimStep()
        while true {
            if admissionDue { admit(into: &step) }
            guard let next = running.first, next.finishAt <= now else { break }
            clock = max(clock, next.finishAt)
            running.removeFirst()
            finish(next.key, into: &step)
            admissionDue = true
            rescanAll = true
        }
        clock = max(clock, now)
        collectGarbage(into: &step)
        return step
    }

    // MARK: - Admission

    /// Admits every SUBMITTED application that fits now, in creation order. A later, smaller application
    /// may pass an earlier one that does not fit: YuniKorn tries each application in its queue's sort order
    /// and skips those whose request does not fit. (YuniKorn's default sorting is `fair`; FIFO by creation
    /// is close for the jobs one queue holds, and deterministic.)
    private mutating func admit(into step: inout SimStep) {
        admissionDue = false
        let from = rescanAll ? 0 : min(checkedThrough, pending.count)
        rescanAll = false
        var waiting = Array(pending[..<from])
        waiting.reserveCapacity(pending.count)
        // Queues found at `maxapplications` in this pass: that does not depend on an application's size, so the
        // rest of their waiting applications need no check.
        var full = [Bool](repeating: false, count: pathNames.count)
        for var entry in pending[from...] {
            if full[entry.queue] {
                waiting.append(entry)
                continue
            }
            var levels: [Level] = []
            if limits != nil {
                switch placement(entry.queue) {
                case .levels(let placed):
                    levels = placed
                case .rejected(let draining) where entry.placed:
                    // Its queue went away after it was placed: YuniKorn keeps such a queue draining, with no limits
                    // left but its ancestors'.
                    levels = draining
                case .rejected:
                    if var application = applications[entry.key], let limits,
                       case .failure(let rejection) = limits.place(application.manifest.queue, applicationID: application.manifest.applicationID) {
                        reject(&application, rejection.message, into: &step)
                    }
                    continue
                }
            }
            entry.placed = true
            guard levels.allSatisfy({ $0.maxApplications == 0 || usage[$0.path].applications < $0.maxApplications }) else {
                full[entry.queue] = true
                waiting.append(entry)
                continue
            }
            guard fits(entry.amounts, levels), var application = applications[entry.key] else {
                waiting.append(entry)
                continue
            }
            start(&application, chain: levels.map(\.path), into: &step)
        }
        pending = waiting
        checkedThrough = pending.count
    }

    /// Whether the amounts fit every level: `maxapplications` and, per resource, used + asked ≤ max (a resource
    /// `max` does not name is unlimited, as YuniKorn's `FitInMaxUndef`).
    private func fits(_ asked: Amounts, _ levels: [Level]) -> Bool {
        for level in levels {
            let used = usage[level.path]
            if level.maxApplications > 0 && used.applications + 1 > level.maxApplications { return false }
            if let max = level.vcore, used.amounts.vcore + asked.vcore > max { return false }
            if let max = level.memory, used.amounts.memory + asked.memory > max { return false }
            if let max = level.pods, used.amounts.pods + asked.pods > max { return false }
        }
        return true
    }

    /// Where an application in `queue` goes under the current limits, computed once per queue.
    private mutating func placement(_ queue: Int) -> Placement {
        if let known = placements[queue] { return known }
        guard let limits else { return .levels([]) }
        let name = pathNames[queue]
        let placement: Placement
        switch limits.place(name, applicationID: "") {
        case .success(let chain):
            placement = .levels(chain.map { Level(path: intern($0.path), limit: $0.limit) })
        case .failure:
            placement = .rejected(draining: Self.ancestors(name).compactMap { path in
                limits.queues[path].map { Level(path: intern(path), limit: $0) }
            })
        }
        placements[queue] = placement
        return placement
    }

    /// The id of a queue path, made on first sight.
    private mutating func intern(_ path: String) -> Int {
        if let id = pathIDs[path] { return id }
        let id = pathNames.count
        pathIDs[path] = id
        pathNames.append(path)
        usage.append((Amounts(), 0))
        return id
    }

    private static func ancestors(_ queue: String) -> [String] {
        var paths: [String] = []
        var path = Substring(queue)
        while !path.isEmpty {
            paths.append(String(path))
            guard let dot = path.lastIndex(of: ".") else { break }
            path = path[..<dot]
        }
        return paths
    }

    private mutating func start(_ application: inout SimApplication, chain: [Int], into step: inout SimStep) {
        let duration = application.manifest.durationMillis
            ?? settings.durationFromHistory?(application.manifest.labels).map { max(0, $0) }
            ?? settings.defaultDurationMillis
        application.state = .running
        application.startedAt = clock
        application.finishAt = clock + duration
        application.charged = chain
        for path in chain {
            usage[path].amounts.add(application.amounts, sign: 1)
            usage[path].applications += 1
        }
        var status = application.object["status"] ?? .object([])
        status["applicationState"] = .object(["state": .string(SimApplication.State.running.rawValue)])
        status["sparkApplicationId"] = .string("spark-" + String(application.uid.filter { $0 != "-" }))
        status["executionAttempts"] = .integer(1)
        status["driverInfo"] = .object(["podName": .string(application.name + "-driver")])
        application.object["status"] = status
        let entry = (application.finishAt!, application.sequence, application.key)
        let index = running.partitioningIndex { ($0.finishAt, $0.sequence) > (entry.0, entry.1) }
        running.insert(entry, at: index)
        revision += 1
        applications[application.key] = application
        step.events.append(record(.modified, application))
    }

    private mutating func finish(_ key: String, into step: inout SimStep) {
        guard var application = applications[key] else { return }
        release(application)
        let failed = application.willFail
        application.state = failed ? .failed : .completed
        var state: JSONValue = .object(["state": .string(application.state.rawValue)])
        if failed { state["errorMessage"] = .string("driver container failed with ExitCode: 1, Reason: Error") }
        application.object["status"]?["applicationState"] = state
        application.object["status"]?["terminationTime"] = .string(Self.rfc3339(clock))
        revision += 1
        applications[key] = application
        finished.append((key, application.sequence))
        step.events.append(record(.modified, application))
        step.summaries.append(summary(application, endedAt: clock, state: failed ? "Failed" : "Completed"))
    }

    /// YuniKorn refused the application: the operator sees its driver fail. No summary: it never ran.
    private mutating func reject(_ application: inout SimApplication, _ message: String, into step: inout SimStep) {
        application.state = .failed
        application.object["status"]?["applicationState"] = .object([
            "state": .string(SimApplication.State.failed.rawValue),
            "errorMessage": .string("driver pod failed: YuniKorn rejected the application: " + message),
        ])
        application.object["status"]?["terminationTime"] = .string(Self.rfc3339(clock))
        revision += 1
        applications[application.key] = application
        finished.append((application.key, application.sequence))
        step.events.append(record(.modified, application))
    }

    private mutating func release(_ application: SimApplication) {
        for path in application.charged {
            usage[path].amounts.add(application.amounts, sign: -1)
            usage[path].applications -= min(usage[path].applications, 1)
        }
    }

    /// The summary YuniKorn logs: resource·seconds over whole seconds, as `AggregateTrackedResource` truncates.
    private func summary(_ application: SimApplication, endedAt end: Int64, state: String) -> AppSummary {
        let started = application.startedAt ?? end
        let seconds = max(0, (end - started) / 1000)
        let demand = application.manifest.demand.amounts
        return AppSummary(
            format: .yunikorn, applicationID: application.manifest.applicationID, rmID: settings.cluster,
            submissionTime: application.createdAt, startTime: started, finishTime: end, user: application.manifest.user,
            queue: application.manifest.queue, state: state,
            usage: Dictionary(uniqueKeysWithValues: ["pods", "vcore", "memory"].map {
                ($0, (demand[$0] ?? 0).multipliedReportingOverflow(by: seconds).partialValue)
            }))
    }

    /// Deletes the oldest finished applications past `maxFinishedApplications`.
    private mutating func collectGarbage(into step: inout SimStep) {
        while finished.count - finishedStart > max(0, settings.maxFinishedApplications) {
            let (key, sequence) = finished[finishedStart]
            finishedStart += 1
            guard var application = applications[key], application.sequence == sequence else { continue }
            applications[key] = nil
            revision += 1
            application.object["metadata"]?["resourceVersion"] = .string(String(revision))
            step.events.append(record(.deleted, application))
        }
        if finishedStart > 4096 && finishedStart * 2 > finished.count {
            finished.removeFirst(finishedStart)
            finishedStart = 0
        }
    }

    /// Stamps the object with the current revision and keeps the event in the history.
    private mutating func record(_ kind: WatchEvent.Kind, _ application: SimApplication) -> WatchEvent {
        var object = application.object
        object["metadata"]?["resourceVersion"] = .string(String(revision))
        if kind != .deleted { applications[application.key]?.object = object }
        let event = WatchEvent(kind: kind, resourceVersion: revision, namespace: application.namespace, object: object)
        history.append(event)
        return event
    }

    // MARK: - Queue configuration

    /// Deploys `queuesYAML` (nil: no configuration, nothing is held back) at `now`, as YuniKorn reloads it. An
    /// invalid text is refused with YuniKorn's own error and the old limits stay.
    public mutating func applyQueueConfig(_ queuesYAML: String?, at now: Int64) throws(SimClusterError) -> SimStep {
        let next = try Self.limits(queuesYAML)
        var step = advance(to: now)
        limits = next
        placements = [:]
        admissionDue = true
        rescanAll = true
        step.append(advance(to: now))
        return step
    }

    static func limits(_ queuesYAML: String?) throws(SimClusterError) -> QueueLimits? {
        guard let queuesYAML else { return nil }
        let result = Validator.validate(text: queuesYAML)
        guard result.isValid, let config = result.config else {
            throw SimClusterError(.badRequest, "admission webhook \"admission-webhook.yunikorn.validate-conf\" denied the request: "
                + (result.yunikornError ?? "the configuration is invalid") + " (check it with `bursar validate`)",
                field: "data[\(ConfigMap.queuesKey)]")
        }
        return QueueLimits(config)
    }

    // MARK: - ConfigMaps

    /// A ConfigMap; 404 when absent.
    public func configMap(namespace: String, name: String) throws(SimClusterError) -> JSONValue {
        guard let object = configMaps[namespace + "/" + name] else { throw .notFound("configmaps", group: "", name: name) }
        return object
    }

    /// Creates a ConfigMap (409 `AlreadyExists` for a taken name). The `yunikorn-configs` of YuniKorn's namespace
    /// is checked as YuniKorn's admission webhook checks it, and deployed.
    public mutating func createConfigMap(_ body: JSONValue, namespace: String, at now: Int64)
        throws(SimClusterError) -> (object: JSONValue, step: SimStep)
    {
        var object = body
        guard object["kind"]?.stringValue == "ConfigMap" else {
            throw SimClusterError(.badRequest, "the kind of the provided object \(object["kind"]?.jsonText() ?? "(none)") is not ConfigMap")
        }
        var metadata = object["metadata"] ?? .object([])
        if let sent = metadata["namespace"]?.stringValue, sent != namespace {
            throw SimClusterError(.badRequest, "the namespace of the provided object does not match the namespace sent on the request")
        }
        if metadata["resourceVersion"] != nil {
            throw SimClusterError(.badRequest, "resourceVersion should not be set on objects to be created")
        }
        guard let name = metadata["name"]?.stringValue, Self.isSubdomain(name) else {
            throw SimClusterError.invalid(kind: "ConfigMap", name: metadata["name"]?.stringValue ?? "", field: "metadata.name",
                                          "Invalid value: a lowercase RFC 1123 subdomain is required")
        }
        let key = namespace + "/" + name
        guard configMaps[key] == nil else {
            throw SimClusterError(.alreadyExists, "configmaps \"\(name)\" already exists", name: name, resource: "configmaps")
        }
        let deployed = try deployment(object, namespace: namespace, name: name)
        var step = SimStep()
        if let deployed { step = try applyQueueConfig(deployed.text, at: now) } else { step = advance(to: now) }
        revision += 1
        metadata["name"] = .string(name)
        metadata["namespace"] = .string(namespace)
        metadata["uid"] = .string(Self.uuid(Self.mix(uidSalt &+ UInt64(revision)), Self.mix(uidSalt ^ UInt64(revision))))
        metadata["resourceVersion"] = .string(String(revision))
        metadata["creationTimestamp"] = .string(Self.rfc3339(clock))
        object["apiVersion"] = .string("v1")
        object["metadata"] = metadata
        configMaps[key] = object
        return (object, step)
    }

    /// Replaces a ConfigMap. A stale `metadata.resourceVersion` is a 409 `Conflict`; none at all is accepted
    /// (last writer wins), as the real API accepts it.
    public mutating func replaceConfigMap(_ body: JSONValue, namespace: String, name: String, at now: Int64)
        throws(SimClusterError) -> (object: JSONValue, step: SimStep)
    {
        var object = body
        guard object["kind"]?.stringValue == "ConfigMap" else {
            throw SimClusterError(.badRequest, "the body is not a ConfigMap")
        }
        var metadata = object["metadata"] ?? .object([])
        guard metadata["name"]?.stringValue == name else {
            throw SimClusterError(.badRequest, "the name of the object (\(metadata["name"]?.stringValue ?? "none")) does not match the name on the URL (\(name))")
        }
        let key = namespace + "/" + name
        guard let current = configMaps[key] else { throw .notFound("configmaps", group: "", name: name) }
        if let sent = metadata["resourceVersion"]?.stringValue, !sent.isEmpty,
           sent != current["metadata"]?["resourceVersion"]?.stringValue {
            throw SimClusterError(.conflict, "Operation cannot be fulfilled on configmaps \"\(name)\": the object has been modified; "
                + "please apply your changes to the latest version and try again", name: name, resource: "configmaps")
        }
        let deployed = try deployment(object, namespace: namespace, name: name)
        var step = SimStep()
        if let deployed { step = try applyQueueConfig(deployed.text, at: now) } else { step = advance(to: now) }
        revision += 1
        for field in ["uid", "creationTimestamp"] { metadata[field] = current["metadata"]?[field] }
        metadata["namespace"] = .string(namespace)
        metadata["resourceVersion"] = .string(String(revision))
        object["apiVersion"] = .string("v1")
        object["metadata"] = metadata
        configMaps[key] = object
        return (object, step)
    }

    /// The queue configuration a write of `yunikorn-configs` in YuniKorn's namespace deploys (nil for any other
    /// ConfigMap). `text` is nil when the map has no `queues.yaml`: YuniKorn then runs its default.
    private func deployment(_ object: JSONValue, namespace: String, name: String) throws(SimClusterError) -> Deployment? {
        guard namespace == settings.yunikornNamespace, name == ConfigMap.defaultName else { return nil }
        var text = object["data"]?[ConfigMap.queuesKey]?.stringValue
        // The shim applies binaryData after data, so a gzipped copy wins (see Clusters' QueueConfigMap).
        for member in object["binaryData"]?.members ?? [] where member.key.lowercased() == ConfigMap.queuesKey + ".gz" {
            let field = "binaryData[\(member.key)]"
            guard let encoded = member.value.stringValue, let packed = Data(base64Encoded: encoded) else {
                throw SimClusterError.invalid(kind: "ConfigMap", name: name, field: field, "is not base64")
            }
            guard let plain = try? Gzip.decompress(Array(packed), maxOutputSize: DocumentLimits.queueConfig.maxBytes),
                  let decoded = String(validating: plain, as: UTF8.self) else {
                throw SimClusterError.invalid(kind: "ConfigMap", name: name, field: field,
                                              "is not gzipped UTF-8 text of at most \(DocumentLimits.queueConfig.maxBytes) bytes")
            }
            text = decoded
        }
        return Deployment(text: text)
    }

    /// A queue configuration to deploy; `text` nil: the ConfigMap has none, YuniKorn runs its default.
    private struct Deployment {
        var text: String?
    }

    // MARK: - Helpers

    /// RFC 3339 in whole seconds, as Kubernetes and the operator write times.
    static func rfc3339(_ millis: Int64) -> String {
        Timestamp.format(millis - ((millis % 1000) + 1000) % 1000)
    }

    /// A lowercase RFC 1123 subdomain: what object names must be.
    static func isSubdomain(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        func alphanumeric(_ b: UInt8) -> Bool { (b >= 97 && b <= 122) || (b >= 48 && b <= 57) }
        guard let first = bytes.first, let last = bytes.last, bytes.count <= 253, alphanumeric(first), alphanumeric(last)
        else { return false }
        return bytes.allSatisfy { alphanumeric($0) || $0 == 45 || $0 == 46 }
    }

    /// SplitMix64's finalizer: a well-mixed 64-bit value from any input.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in [0, 1) fixed by the seed and the key (FNV-1a, then mixed), so a replay fails the same apps.
    static func unitInterval(seed: UInt64, key: String) -> Double {
        Double(mix(fnv(key) ^ mix(seed)) >> 11) / Double(UInt64(1) << 53)
    }

    /// FNV-1a over the UTF-8 bytes.
    static func fnv(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// A version-4-shaped UUID from two random words.
    static func uuid(_ high: UInt64, _ low: UInt64) -> String {
        func hex(_ value: UInt64, _ digits: Int) -> String {
            let text = String(value, radix: 16)
            return String(repeating: "0", count: max(0, digits - text.count)) + text.suffix(digits)
        }
        let a = (high >> 32), b = (high >> 16) & 0xFFFF, c = (high & 0x0FFF) | 0x4000
        let d = ((low >> 48) & 0x3FFF) | 0x8000, e = low & 0xFFFF_FFFF_FFFF
        return "\(hex(a, 8))-\(hex(b, 4))-\(hex(c, 4))-\(hex(d, 4))-\(hex(e, 12))"
    }
}

/// What an application asks for, in the units admission compares: millicores, bytes, pods.
struct Amounts: Sendable {
    var vcore: Int64 = 0
    var memory: Int64 = 0
    var pods: Int64 = 0

    init() {}

    init(_ vector: ResourceVector) {
        vcore = vector.amounts["vcore"] ?? 0
        memory = vector.amounts["memory"] ?? 0
        pods = vector.amounts["pods"] ?? 0
    }

    mutating func add(_ other: Amounts, sign: Int64) {
        vcore &+= sign &* other.vcore
        memory &+= sign &* other.memory
        pods &+= sign &* other.pods
    }
}

/// One queue of a placement chain with the limits admission checks; nil is unlimited. An application asks only
/// for vcore, memory and pods, so a `max` on any other resource always fits.
struct Level: Sendable {
    var path: Int
    var vcore: Int64?
    var memory: Int64?
    var pods: Int64?
    var maxApplications: UInt64

    init(path: Int, limit: QueueLimit) {
        self.path = path
        vcore = limit.max.amounts["vcore"].map { max(0, $0) }
        memory = limit.max.amounts["memory"].map { max(0, $0) }
        pods = limit.max.amounts["pods"].map { max(0, $0) }
        maxApplications = limit.maxApplications
    }
}

/// Where a queue places applications: the levels to check, or a rejection (with the levels an application
/// placed before the queue went away still counts against).
enum Placement: Sendable {
    case levels([Level])
    case rejected(draining: [Level])
}

/// A SUBMITTED application as the admission pass needs it, without looking it up.
struct Waiting: Sendable {
    var key: String
    var queue: Int
    var amounts: Amounts
    /// Whether YuniKorn placed it already (placement runs once, as on submission).
    var placed = false
}

extension Array {
    /// The first index whose element satisfies `belongs`, for an array where it holds from some index on.
    func partitioningIndex(where belongs: (Element) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let middle = (low + high) / 2
            if belongs(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
