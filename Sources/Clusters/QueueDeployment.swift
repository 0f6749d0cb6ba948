public import Platform
public import QueueConfig

/// A tier-1 queue whose guaranteed resources a deploy would cut by more than the policy allows.
public struct Tier1Shrink: Sendable, Equatable, Codable {
    /// `root.<org>.<project>.tier1` (prefixed `[partition]` outside the default partition).
    public var queue: String
    /// `vcore` or `memory`.
    public var resource: String
    /// The guaranteed amount the cluster runs now, as written in its configuration.
    public var running: String
    /// The proposed amount; nil when the queue disappears.
    public var proposed: String?
    /// The share of the running amount that would go (1 when the queue disappears).
    public var cut: Double

    /// Bundles the fields.
    public init(queue: String, resource: String, running: String, proposed: String?, cut: Double) {
        self.queue = queue
        self.resource = resource
        self.running = running
        self.proposed = proposed
        self.cut = cut
    }
}

/// What deploying a queue configuration to a cluster would do, judged against one state of the cluster.
public struct DeploymentPlan: Sendable {
    /// The cluster.
    public var cluster: String
    /// Where the new configuration comes from (`Queues/<cluster>/queues.yaml`), for messages.
    public var file: String
    /// The new `queues.yaml`.
    public var newText: String
    /// What the cluster runs (nil: no `yunikorn-configs` ConfigMap).
    public var live: LiveQueueConfig?
    /// The validator's verdict on the new text.
    public var validation: ValidationResult
    /// The unified diff from the running configuration to the new one; "" when equal.
    public var diff: String
    /// Tier-1 queues cut by more than `allowance`.
    public var shrinks: [Tier1Shrink]
    /// The largest cut allowed without forcing (policy `deploy.max_tier1_shrink_fraction`).
    public var allowance: Double
    /// Why the running configuration could not be read for the tier-1 check, when it could not.
    public var liveUnreadable: String?

    /// Whether the new text is what the cluster already runs.
    public var isUnchanged: Bool { (live?.queuesYAML ?? "") == newText && live?.queuesYAML != nil }
    /// Whether applying it takes an admin's force: a tier-1 cut past the allowance, or no way to check.
    public var needsForce: Bool { !shrinks.isEmpty || liveUnreadable != nil }
}

/// The result of a deploy, for people (`text`) and for the HTTP API (Codable, snake_case keys).
public struct DeployReport: Sendable, Equatable, Codable {
    /// How the deploy ended.
    public enum Outcome: String, Sendable, Codable {
        /// Written to the cluster (or to the dry run).
        case applied
        /// The cluster already runs this configuration; nothing was written.
        case unchanged
        /// Tier-1 cuts past the allowance (or an unreadable running configuration) and no force.
        case refused
        /// The validator refused the configuration; the cluster was not contacted.
        case invalid
    }

    /// The cluster.
    public var cluster: String
    /// "kubernetes" or "dry-run".
    public var target: String
    /// The configuration file deployed.
    public var file: String
    /// How it ended.
    public var outcome: Outcome
    /// YuniKorn's verdict on the new configuration.
    public var valid: Bool
    /// Every problem the validator found, as `file:line:column: severity: path: message` lines.
    public var problems: [String]
    /// The error yunikorn-core itself would return, when invalid.
    public var yunikornError: String?
    /// The unified diff from what the cluster ran to the new configuration.
    public var diff: String
    /// Tier-1 cuts past the allowance.
    public var shrinks: [Tier1Shrink]
    /// The allowance the cuts were judged by.
    public var allowance: Double
    /// Why the running configuration could not be checked for tier-1 cuts, when it could not.
    public var liveUnreadable: String?
    /// Whether an admin's force overrode the tier-1 check for this write.
    public var forced: Bool
    /// Whether the configuration was written.
    public var applied: Bool
    /// The ConfigMap's resourceVersion afterwards (or as found, when nothing was written).
    public var resourceVersion: String?
    /// Concurrent changes met on the way: each 409 made the deploy start again from a fresh read and judge
    /// the diff and cuts anew against it.
    public var conflicts: [String]

    enum CodingKeys: String, CodingKey {
        case cluster, target, file, outcome, valid, problems, diff, shrinks, allowance, forced, applied, conflicts
        case yunikornError = "yunikorn_error"
        case liveUnreadable = "live_unreadable"
        case resourceVersion = "resource_version"
    }

    /// The `bursar deploy` exit code for this outcome: 0 applied or unchanged, 3 invalid, 6 refused.
    public var exitCode: Int32 {
        switch outcome {
        case .applied, .unchanged: 0
        case .invalid: 3
        case .refused: 6
        }
    }

    /// A verdict line, the problems, the diff and the cuts, for a terminal.
    public var text: String {
        var out = "\(cluster) (\(target)): "
        switch outcome {
        case .applied: out += "applied\(resourceVersion.map { ", resourceVersion \($0)" } ?? "")\(forced ? " (forced past the tier-1 check)" : "")\n"
        case .unchanged: out += "unchanged: the cluster already runs \(file)\n"
        case .refused: out += "refused: not applied\n"
        case .invalid: out += "invalid: \(file) was not sent\n"
        }
        for problem in problems { out += "  \(problem)\n" }
        if let yunikornError { out += "  YuniKorn reports: \(yunikornError)\n" }
        for conflict in conflicts {
            out += "  the ConfigMap changed during the deploy (\(conflict)); re-read it and judged the change again\n"
        }
        out += diff
        if !shrinks.isEmpty {
            out += "tier-1 guaranteed cut by more than \(Self.percent(allowance)) (policy deploy.max_tier1_shrink_fraction):\n"
            for shrink in shrinks {
                out += "  \(shrink.queue) \(shrink.resource): \(shrink.running) -> \(shrink.proposed ?? "(queue removed)")"
                    + " (-\(Self.percent(shrink.cut)))\n"
            }
        }
        if let liveUnreadable { out += "the running configuration cannot be checked for tier-1 cuts: \(liveUnreadable)\n" }
        if outcome == .refused {
            out += "  an admin can apply it anyway with --force\n"
        }
        return out
    }

    static func percent(_ fraction: Double) -> String { "\(Int((fraction * 100).rounded()))%" }
}

/// Deploying `Queues/<cluster>/queues.yaml`: validate, diff against what the cluster runs, refuse large
/// tier-1 cuts unless forced, then write conditionally on the state judged.
public enum QueueDeployment {
    /// Judges `newText` against `live` (pure: no I/O).
    public static func plan(cluster: String, file: String, newText: String, live: LiveQueueConfig?,
                            policy: AllocationPolicy) -> DeploymentPlan {
        plan(cluster: cluster, file: file, newText: newText, validation: Validator.validate(text: newText), live: live,
             allowance: policy.tier1ShrinkAllowance)
    }

    static func plan(cluster: String, file: String, newText: String, validation: ValidationResult,
                     live: LiveQueueConfig?, allowance: Double) -> DeploymentPlan {
        let oldLabel = live.map { "\(cluster) \(QueueConfigMap.name) (resourceVersion \($0.resourceVersion))" }
            ?? "\(cluster) (no \(QueueConfigMap.name))"
        let diff = LineDiff.unified(from: live?.queuesYAML ?? "", to: newText, oldLabel: oldLabel, newLabel: file)
        var shrinks: [Tier1Shrink] = []
        var liveUnreadable: String?
        if let running = live?.queuesYAML, let proposed = validation.config {
            let current = Validator.validate(text: running)
            if let config = current.config {
                shrinks = tier1Shrinks(from: config, to: proposed, allowance: allowance)
            } else {
                liveUnreadable = "its queues.yaml does not parse (\(current.yunikornError ?? "unknown error"))"
            }
        }
        return DeploymentPlan(cluster: cluster, file: file, newText: newText, live: live, validation: validation,
                              diff: diff, shrinks: shrinks, allowance: allowance, liveUnreadable: liveUnreadable)
    }

    /// Deploys `newText` to `target`: an invalid configuration is refused without contacting the cluster;
    /// otherwise the plan is made against a fresh read and written only when it changes something and needs no
    /// force (or `force` is given). A conflicting concurrent change restarts from a fresh read.
    /// - Throws: `ClusterError` when the cluster cannot be read or written.
    public static func deploy(cluster: String, file: String, newText: String, to target: any ClusterTarget,
                              policy: AllocationPolicy, force: Bool) throws -> DeployReport {
        let validation = Validator.validate(text: newText)
        guard validation.isValid else {
            let plan = DeploymentPlan(cluster: cluster, file: file, newText: newText, live: nil, validation: validation,
                                      diff: "", shrinks: [], allowance: policy.tier1ShrinkAllowance)
            return report(plan, target: target.kind, outcome: .invalid, forced: false, resourceVersion: nil, conflicts: [])
        }
        var judged: DeploymentPlan?
        let write = try target.deployQueueConfig { live in
            let judgement = Self.plan(cluster: cluster, file: file, newText: newText, validation: validation, live: live,
                                      allowance: policy.tier1ShrinkAllowance)
            judged = judgement
            return judgement.isUnchanged || (judgement.needsForce && !force) ? nil : newText
        }
        let plan = judged!  // deployQueueConfig calls the update at least once or throws
        let outcome: DeployReport.Outcome = write.written ? .applied : plan.isUnchanged ? .unchanged : .refused
        return report(plan, target: target.kind, outcome: outcome, forced: write.written && plan.needsForce,
                      resourceVersion: write.resourceVersion, conflicts: write.conflicts)
    }

    private static func report(_ plan: DeploymentPlan, target: String, outcome: DeployReport.Outcome, forced: Bool,
                               resourceVersion: String?, conflicts: [String]) -> DeployReport {
        let problems = plan.validation.problems.map { problem in
            let position = problem.location.map { ":\($0.line):\($0.column)" } ?? ""
            let path = problem.path.components.isEmpty ? "" : "\(problem.path): "
            return "\(plan.file)\(position): \(problem.severity.rawValue): \(path)\(problem.message)"
        }
        return DeployReport(
            cluster: plan.cluster, target: target, file: plan.file, outcome: outcome, valid: plan.validation.isValid,
            problems: problems, yunikornError: plan.validation.yunikornError, diff: plan.diff, shrinks: plan.shrinks,
            allowance: plan.allowance, liveUnreadable: plan.liveUnreadable, forced: forced,
            applied: outcome == .applied, resourceVersion: resourceVersion, conflicts: conflicts)
    }

    /// The resources whose guaranteed amount the tier-1 check guards.
    static let guardedResources = [Quantity.vcore, "memory"]

    /// Every tier-1 leaf (`root.<org>.<project>.tier1`) of `running` whose guaranteed vcore or memory `proposed`
    /// cuts by more than `allowance`, or which `proposed` drops.
    static func tier1Shrinks(from running: SchedulerConfig, to proposed: SchedulerConfig,
                             allowance: Double) -> [Tier1Shrink] {
        let after = Dictionary(tier1Leaves(proposed), uniquingKeysWith: { first, _ in first })
        var shrinks: [Tier1Shrink] = []
        for (name, queue) in tier1Leaves(running) {
            let successor = after[name]
            for resource in guardedResources {
                guard let text = queue.resources.guaranteed?.first(where: { $0.name == resource })?.quantity,
                      case let .success(old) = Quantity.parse(text, resource: resource), old > 0 else { continue }
                let newText = successor?.resources.guaranteed?.first(where: { $0.name == resource })?.quantity
                var new: Int64 = 0
                if let newText, case let .success(amount) = Quantity.parse(newText, resource: resource) { new = amount }
                let cut = Double(old - new) / Double(old)
                // A hair of tolerance, so a cut of exactly the allowance (after unit rounding) passes.
                if cut > allowance + 1e-9 {
                    shrinks.append(Tier1Shrink(queue: name, resource: resource, running: text,
                                               proposed: successor == nil ? nil : newText ?? "0", cut: cut))
                }
            }
        }
        return shrinks
    }

    /// The tier-1 leaves of every partition by full name.
    static func tier1Leaves(_ config: SchedulerConfig) -> [(String, QueueConfig)] {
        var leaves: [(String, QueueConfig)] = []
        for partition in config.partitions {
            let prefix = partition.name.lowercased() == "default" ? "" : "[\(partition.name)]"
            for root in partition.queues ?? [] {
                for org in root.queues {
                    for project in org.queues {
                        for tier in project.queues where tier.name == "tier1" && tier.queues.isEmpty {
                            leaves.append(("\(prefix)\(root.name).\(org.name).\(project.name).\(tier.name)", tier))
                        }
                    }
                }
            }
        }
        return leaves
    }
}
