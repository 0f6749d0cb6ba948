/// Who an application's usage belongs to. DESIGN: through job_apps → workflows → projects → owners;
/// failing that, through a queue path of the form `root.<org>.<project>.tier<N>`; failing that it is
/// unattributed — reported and kept, never dropped.
public struct Attribution: Sendable, Equatable {
    /// How the attribution was found.
    public enum Basis: String, Sendable {
        case jobApps = "job_apps"
        case queue
        case unattributed
    }

    public var basis: Basis
    public var org: String?
    public var project: String?
    public var tier: Int?
    /// Set only when the application is part of a known workflow run.
    public var workflow: String?
    public var job: String?
    public var runID: String?

    public init(basis: Basis, org: String? = nil, project: String? = nil, tier: Int? = nil, workflow: String? = nil,
                job: String? = nil, runID: String? = nil) {
        self.basis = basis
        self.org = org
        self.project = project
        self.tier = tier
        self.workflow = workflow
        self.job = job
        self.runID = runID
    }

    /// An application nobody can be found for.
    public static let unattributed = Attribution(basis: .unattributed)

    /// The leaf queue the usage counts against when the allocator sizes queues: the attributed
    /// `root.<org>.<project>.tier<N>`, else the queue the application actually ran in.
    public func demandQueue(ranIn queue: String) -> String {
        guard let org, let project, let tier else { return queue }
        return "root.\(org).\(project).tier\(tier)"
    }

    /// Reads `root.<org>.<project>.tier<N>` (N in 1…3); nil for any other shape.
    public static func parseQueue(_ queue: String) -> (org: String, project: String, tier: Int)? {
        let parts = queue.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "root", !parts[1].isEmpty, !parts[2].isEmpty, parts[3].hasPrefix("tier"),
              let tier = Int(parts[3].dropFirst(4)), (1...3).contains(tier), parts[3].count == 5
        else { return nil }
        return (String(parts[1]), String(parts[2]), tier)
    }
}

extension Mappings {
    /// Attributes one application.
    public func attribute(applicationID: String, queue: String) -> Attribution {
        attributeRun(applicationID: applicationID) ?? Self.attribute(queue: queue)
    }

    /// The first step alone: through job_apps → workflows → projects → owners; nil when any link is missing.
    public func attributeRun(applicationID: String) -> Attribution? {
        guard !jobApps.isEmpty, let run = jobApps[applicationID] else { return nil }
        return attribute(run)
    }

    /// The first step from an application's job_apps row: nil when its workflow, project or owner is missing.
    public func attribute(_ run: JobApp) -> Attribution? {
        guard let workflow = workflows[run.workflow], let owner = projectOwners[workflow.project],
              let org = ownerOrgs[owner] else { return nil }
        return Attribution(basis: .jobApps, org: org, project: workflow.project, tier: workflow.tier,
                           workflow: run.workflow, job: run.job, runID: run.runID)
    }

    /// The fallback steps alone: a `root.<org>.<project>.tier<N>` queue path, else unattributed.
    public static func attribute(queue: String) -> Attribution {
        guard let parsed = Attribution.parseQueue(queue) else { return .unattributed }
        return Attribution(basis: .queue, org: parsed.org, project: parsed.project, tier: parsed.tier)
    }
}
