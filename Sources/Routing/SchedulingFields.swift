internal import SourceDocuments
/// The fields of a SparkApplication that say which scheduler, queue, application or priority its pods get.
/// The router owns these: it sets the scheduler, queue and app id itself (`ManifestMutation`), so a
/// submitted spelling of them is taken out, and it refuses what it cannot set or check (a priority class, a
/// pod template file, custom feature steps), naming the field and line. Everything else passes unchanged.
///
/// The keys come from the shim's reading order (reference §2): the queue from the label or annotation
/// `yunikorn.apache.org/queue` or the label `queue`; the app id from `yunikorn.apache.org/app-id`,
/// `applicationId` or `spark-app-selector`; the user from `yunikorn.apache.org/user.info`. spark-operator copies
/// the application's own labels onto its pods, and Spark's `spark.kubernetes.{driver,executor}.{label,annotation}.*`
/// write pod labels and annotations, so every one of those places is checked.
enum SchedulingFields {
    /// YuniKorn keys a submission keeps: gang scheduling, which only shapes the job's own placeholders.
    static let keptYuniKornKeys: Set<String> = [
        "yunikorn.apache.org/task-group-name", "yunikorn.apache.org/task-groups", "yunikorn.apache.org/schedulingPolicyParameters",
    ]

    /// Whether a label or annotation key is one the scheduler reads for the queue, app id or user (or any
    /// other `yunikorn.apache.org/` key but the gang-scheduling ones).
    static func isOwnedKey(_ key: String) -> Bool {
        if key == "queue" || key == "applicationId" || key == "spark-app-selector" { return true }
        return key.hasPrefix("yunikorn.apache.org/") && !keptYuniKornKeys.contains(key)
    }

    /// What happens to a Spark property.
    enum Verdict: Equatable {
        case keep
        case remove
        case refuse(String)
    }

    static let refusedTemplate = "a pod template or feature step can set the scheduler, queue and priority class, which the router cannot check; put what the pods need in spec.driver and spec.executor instead"

    /// The verdict on a `spec.sparkConf` (or compact `conf`) key.
    static func verdict(sparkConf key: String) -> Verdict {
        switch key {
        case "spark.kubernetes.scheduler.name", "spark.kubernetes.driver.scheduler.name", "spark.kubernetes.executor.scheduler.name",
             "spark.kubernetes.namespace":
            return .remove
        case "spark.kubernetes.driver.podTemplateFile", "spark.kubernetes.executor.podTemplateFile",
             "spark.kubernetes.driver.pod.featureSteps", "spark.kubernetes.executor.pod.featureSteps":
            return .refuse(refusedTemplate)
        default:
            break
        }
        guard key.hasPrefix("spark.kubernetes.") else { return .keep }
        for prefix in ["spark.kubernetes.driver.label.", "spark.kubernetes.executor.label.",
                       "spark.kubernetes.driver.annotation.", "spark.kubernetes.executor.annotation."] where key.hasPrefix(prefix) {
            return isOwnedKey(String(key.dropFirst(prefix.count))) ? .remove : .keep
        }
        return .keep
    }

    static func refusedPriority(_ node: SourceNode) -> String {
        let shown = node.string.map { "\"\($0)\"" } ?? "a priority class"
        return "\(shown): the router sets no priority class and takes none from a submission (a class such as system-cluster-critical would let the job preempt other teams' work); remove it, the tier decides the job's place"
    }

    /// Takes the owned fields out of a SparkApplication and returns their paths; throws on the first field
    /// that is refused. Shapes it does not expect (a non-object where an object belongs) are left for the
    /// parser to report.
    static func vet(_ root: inout SourceNode) throws(SubmissionError) -> [String] {
        var removed: [String] = []
        update(&root, "metadata") { metadata in
            for key in ["labels", "annotations"] {
                update(&metadata, key) { removeOwned(&$0, path: "metadata." + key, removed: &removed) }
            }
        }
        try edit(&root, "spec") { spec throws(SubmissionError) in
            try edit(&spec, "sparkConf") { conf throws(SubmissionError) in
                guard case .object(let members) = conf.value else { return }
                var kept: [(key: String, node: SourceNode)] = []
                for member in members {
                    let path = SourcePath.child("spec.sparkConf", member.key)
                    switch verdict(sparkConf: member.key) {
                    case .keep: kept.append(member)
                    case .remove: removed.append(path)
                    case .refuse(let message):
                        throw SubmissionError(.refusedField, field: path, line: member.node.line, column: member.node.column, message: message)
                    }
                }
                conf.value = .object(kept)
            }
            try edit(&spec, "batchSchedulerOptions") { options throws(SubmissionError) in
                try refusePriority(options, path: "spec.batchSchedulerOptions")
            }
            for role in ["driver", "executor"] {
                let path = "spec." + role
                try edit(&spec, role) { pod throws(SubmissionError) in
                    try refusePriority(pod, path: path)
                    for key in ["labels", "annotations"] {
                        update(&pod, key) { removeOwned(&$0, path: path + "." + key, removed: &removed) }
                    }
                    try edit(&pod, "template") { template throws(SubmissionError) in
                        update(&template, "metadata") { metadata in
                            for key in ["labels", "annotations"] {
                                update(&metadata, key) { removeOwned(&$0, path: path + ".template.metadata." + key, removed: &removed) }
                            }
                        }
                        try edit(&template, "spec") { podSpec throws(SubmissionError) in
                            try refusePriority(podSpec, path: path + ".template.spec")
                            if remove("schedulerName", from: &podSpec) { removed.append(path + ".template.spec.schedulerName") }
                        }
                    }
                }
            }
        }
        return removed
    }

    /// Takes the owned keys out of a labels or annotations object, naming each in `removed`.
    static func removeOwned(_ node: inout SourceNode, path: String, removed: inout [String]) {
        guard case .object(let members) = node.value else { return }
        var kept: [(key: String, node: SourceNode)] = []
        kept.reserveCapacity(members.count)
        for member in members {
            if isOwnedKey(member.key) {
                removed.append(SourcePath.child(path, member.key))
            } else {
                kept.append(member)
            }
        }
        node.value = .object(kept)
    }

    private static func refusePriority(_ node: SourceNode, path: String) throws(SubmissionError) {
        guard let value = node["priorityClassName"] else { return }
        throw SubmissionError(.refusedField, field: path + ".priorityClassName", line: value.line, column: value.column,
                              message: refusedPriority(value))
    }

    private static func remove(_ key: String, from node: inout SourceNode) -> Bool {
        guard case .object(var members) = node.value, let position = members.firstIndex(where: { $0.key == key }) else { return false }
        members.remove(at: position)
        node.value = .object(members)
        return true
    }

    /// Runs `body` on the object member `key` of `node`, when there is one, and writes it back (`update`
    /// is the same for bodies that cannot throw).
    private static func edit(_ node: inout SourceNode, _ key: String,
                             _ body: (inout SourceNode) throws(SubmissionError) -> Void) throws(SubmissionError) {
        guard case .object(var members) = node.value, let position = members.firstIndex(where: { $0.key == key }),
              members[position].node.isObject else { return }
        var child = members[position].node
        try body(&child)
        members[position].node = child
        node.value = .object(members)
    }

    private static func update(_ node: inout SourceNode, _ key: String, _ body: (inout SourceNode) -> Void) {
        guard case .object(var members) = node.value, let position = members.firstIndex(where: { $0.key == key }),
              members[position].node.isObject else { return }
        var child = members[position].node
        body(&child)
        members[position].node = child
        node.value = .object(members)
    }
}
