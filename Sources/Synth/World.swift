/// A team that owns projects; it belongs to one org (`owners.csv`).
public struct SynthOwner: Sendable, Equatable {
    public var name: String
    public var org: String
}

/// A project: one `root.<org>.<project>` queue subtree on one cluster (`projects.csv`).
public struct SynthProject: Sendable, Equatable {
    public var name: String
    public var owner: String
    public var org: String
    /// The cluster all of the project's work runs on.
    public var cluster: String
    /// Whether its jobs use GPUs (`nvidia.com/gpu`); only when its cluster has them.
    public var usesGPU: Bool

    /// `root.<org>.<project>.tier<N>`.
    public func queue(tier: Int) -> String { "root.\(org).\(name).tier\(tier)" }
}

/// One Spark application of a workflow run, with the sizes every run of it uses.
public struct SynthJob: Sendable, Equatable {
    public var name: String
    /// Jobs of one stage run in parallel; a stage starts when the previous one has finished.
    public var stage: Int
    /// Typical runtime; each run draws around it.
    public var medianSeconds: Int
    public var executors: Int
    public var executorCores: Int
    /// Executor memory as Spark asks for it; the pod adds the usual overhead (10%, at least 384 MiB).
    public var executorMemoryMiB: Int
    public var gpusPerExecutor: Int
}

/// A scheduled workflow (`workflows.csv`): its runs are what the SLO report judges.
public struct SynthWorkflow: Sendable, Equatable {
    public var name: String
    public var project: String
    /// 1 (most critical) to 3.
    public var tier: Int
    public var sloMinutes: Int
    /// Runs every hour at `minute` past the hour; otherwise once a day at `minute` past midnight UTC.
    public var hourly: Bool
    public var minute: Int
    public var jobs: [SynthJob]
    /// Deliberately given an SLO shorter than its typical runtime, so SLO reports have offenders.
    public var chronicallyLate: Bool

    /// Minutes after midnight of every scheduled run in a day.
    public var runMinutes: [Int] { hourly ? (0..<24).map { $0 * 60 + minute } : [minute] }

    var stageCount: Int { (jobs.map(\.stage).max() ?? -1) + 1 }
}

/// The synthetic platform: orgs, owners, projects and workflows. It is sized from the options so that
/// scheduled workflows produce about 70% of the applications and ad-hoc work the rest.
public struct SynthWorld: Sendable {
    public var owners: [SynthOwner]
    public var projects: [SynthProject]
    public var workflows: [SynthWorkflow]
    /// Index into `projects` of each workflow.
    var workflowProject: [Int]
    /// Queue path of each project and tier (index tier - 1), computed once.
    var queues: [[String]]
    /// Index into the options' clusters of each project's cluster.
    var projectClusterIndex: [Int]

    /// Builds the platform for these options (deterministic in the seed).
    public init(options: SynthOptions) {
        var random = SynthRandom(seed: options.seed, stream: 0x5752_4C44) // "WRLD"
        let clusters = options.clusters.isEmpty ? [SynthCluster("moka-a")] : options.clusters
        let gpuCluster = clusters.first(where: \.hasGPU)?.name
        let target = options.targetAppsPerDay * Self.workflowShare
        var owners: [SynthOwner] = [], ownerNames = Set<String>()
        var projects: [SynthProject] = [], workflows: [SynthWorkflow] = [], workflowProject: [Int] = []
        var expected = 0.0
        var tierOneDaily = 0
        var index = 0
        let minimumProjects = min(3, max(1, Int(options.targetAppsPerDay / 40)))
        while (expected < target || projects.count < minimumProjects) && projects.count < 200_000 {
            let seedProject = Self.project(index)
            index += 1
            var cluster: String
            let gpu = seedProject.gpu && gpuCluster != nil
            if gpu, let gpuCluster {
                cluster = gpuCluster
            } else if let preferred = seedProject.cluster, clusters.contains(where: { $0.name == preferred }) {
                cluster = preferred
            } else {
                cluster = clusters[(index - 1) % clusters.count].name
            }
            let project = SynthProject(name: seedProject.name, owner: seedProject.owner, org: seedProject.org,
                                       cluster: cluster, usesGPU: gpu)
            if ownerNames.insert(project.owner).inserted { owners.append(SynthOwner(name: project.owner, org: project.org)) }
            let count = gpu ? random.int(1...3) : random.int(2...5)
            var kinds = gpu ? Self.gpuWorkflowKinds : Self.workflowKinds
            random.shuffle(&kinds)
            for w in 0..<min(count, kinds.count) {
                let tier = w < seedProject.tiers.count ? seedProject.tiers[w] : Self.drawTier(&random)
                let hourly = !gpu && w > 0 && random.chance(0.1)
                var late = false
                if tier == 1 && !hourly {
                    late = tierOneDaily % 8 == 3
                    tierOneDaily += 1
                }
                let kind = hourly ? "hourly-" + Self.hourlyKinds[w % Self.hourlyKinds.count] : kinds[w]
                var workflow = Self.workflow(name: "\(project.name)-\(kind)",
                                             project: project, tier: tier, hourly: hourly, late: late, random: &random)
                if projects.isEmpty && w == 0 {
                    // One job name that needs RFC 4180 quoting, so every CSV reader meets one.
                    workflow.jobs[workflow.jobs.count - 1].name = "reconcile, publish"
                }
                expected += Double(workflow.runMinutes.count * workflow.jobs.count) * (1 + Self.failureRate)
                workflows.append(workflow)
                workflowProject.append(projects.count)
            }
            projects.append(project)
        }
        self.owners = owners
        self.projects = projects
        self.workflows = workflows
        self.workflowProject = workflowProject
        self.queues = projects.map { project in (1...3).map { project.queue(tier: $0) } }
        self.projectClusterIndex = projects.map { project in clusters.firstIndex { $0.name == project.cluster } ?? 0 }
    }

    /// Share of applications that come from scheduled workflows.
    static let workflowShare = 0.7
    /// Share of applications that fail; a failed workflow job is retried once.
    static let failureRate = 0.02

    /// Tier 1 about 20%, tier 2 30%, tier 3 50%.
    static func drawTier(_ random: inout SynthRandom) -> Int {
        let u = random.unit()
        return u < 0.2 ? 1 : (u < 0.5 ? 2 : 3)
    }

    static func workflow(name: String, project: SynthProject, tier: Int, hourly: Bool, late: Bool,
                         random: inout SynthRandom) -> SynthWorkflow {
        var jobs: [SynthJob] = []
        var used = Set<String>()
        let stages = hourly ? random.int(1...2) : (project.usesGPU ? 3 : random.int(1...4))
        for stage in 0..<stages {
            let parallel = !hourly && stage > 0 && stage < stages - 1 && random.chance(0.3) ? 2 : 1
            for _ in 0..<parallel {
                var name: String
                if project.usesGPU {
                    name = ["prepare", "train", "evaluate"][stage]
                } else if stage == 0 {
                    name = random.pick(["extract", "ingest", "load-raw"])
                } else if stage == stages - 1 {
                    name = random.pick(["publish", "export", "report", "aggregate"])
                } else {
                    name = random.pick(["transform", "join", "dedupe", "features", "enrich", "validate"])
                }
                if !used.insert(name).inserted {
                    name += "-\(stage)\(parallel > 1 ? "b" : "")"
                    used.insert(name)
                }
                let training = project.usesGPU && stage == 1
                var median = random.logNormal(median: hourly ? 240 : 540, sigma: hourly ? 0.5 : 0.7)
                median = min(max(median, 60), hourly ? 900 : (tier == 1 ? 2400 : 5400))
                if late { median = max(median, 600) }
                let cores = random.pick([1, 2, 2, 4, 4])
                jobs.append(SynthJob(
                    name: name, stage: stage, medianSeconds: Int(median),
                    executors: training ? random.int(2...16) : min(max(Int(random.logNormal(median: 8, sigma: 0.8)), 1), 150),
                    executorCores: cores, executorMemoryMiB: cores * random.pick([2, 4, 4, 8]) * 1024,
                    gpusPerExecutor: training ? random.int(1...2) : 0))
            }
        }
        // The typical run: stage by stage, the slowest job of each, plus scheduling gaps.
        var expectedSeconds = 60.0
        for stage in 0..<stages {
            expectedSeconds += Double(jobs.filter { $0.stage == stage }.map(\.medianSeconds).max() ?? 0) + 45
        }
        let minutes = expectedSeconds / 60
        let slo: Int
        if late {
            // Tighter than a typical run: most runs miss, a few fast ones make it.
            slo = max(5, Int(minutes * random.uniform(0.55, 0.72) / 5) * 5)
        } else if hourly {
            slo = max(30, Int((minutes * 2.2 / 15).rounded(.up)) * 15)
        } else {
            slo = max(15, Int((minutes * random.uniform(1.8, 2.8) / 15).rounded(.up)) * 15)
        }
        let minute: Int
        if hourly {
            minute = random.pick([5, 10, 20, 30, 40])
        } else {
            let hour = tier == 1 ? random.int(0...5) : (tier == 2 ? random.int(0...12) : random.int(0...21))
            minute = hour * 60 + random.pick([0, 15, 30, 45])
        }
        return SynthWorkflow(name: name, project: project.name, tier: tier, sloMinutes: slo, hourly: hourly,
                             minute: minute, jobs: jobs, chronicallyLate: late)
    }

    static let workflowKinds = ["daily-close", "reconcile", "aggregate", "report", "features", "export",
                                "snapshot", "quality-check", "rollup"]
    static let gpuWorkflowKinds = ["train", "embed", "evaluate"]
    static let hourlyKinds = ["sync", "refresh", "metrics", "ingest", "alerts"]

    struct SeedProject {
        var org: String, owner: String, name: String, cluster: String?, gpu: Bool, tiers: [Int]
    }

    /// Hand-picked projects first (consistent with `Queues/*/queues.yaml`), then generated ones.
    static func project(_ index: Int) -> SeedProject {
        if index < curated.count { return curated[index] }
        let k = index - curated.count
        let word = projectWords[k % projectWords.count]
        let round = k / projectWords.count
        let org = generatedOrgs[(k + round) % generatedOrgs.count]
        return SeedProject(org: org, owner: "\(org)-\(teams[k % teams.count])",
                           name: round == 0 ? word : "\(word)-\(round + 1)", cluster: nil, gpu: false, tiers: [])
    }

    static let curated: [SeedProject] = [
        SeedProject(org: "payments", owner: "payments-core", name: "ledger", cluster: "moka-a", gpu: false, tiers: [1, 3, 2]),
        SeedProject(org: "search", owner: "search-relevance", name: "ranking", cluster: "moka-b", gpu: false, tiers: [1, 2]),
        SeedProject(org: "payments", owner: "payments-core", name: "settlements", cluster: "moka-a", gpu: false, tiers: [1]),
        SeedProject(org: "ml-platform", owner: "ml-research", name: "training", cluster: nil, gpu: true, tiers: [2]),
        SeedProject(org: "data-eng", owner: "data-platform", name: "ingestion", cluster: "moka-b", gpu: false, tiers: [1]),
        SeedProject(org: "payments", owner: "payments-risk", name: "fraud-scoring", cluster: "moka-a", gpu: false, tiers: [1]),
        SeedProject(org: "search", owner: "search-infra", name: "indexing", cluster: "moka-b", gpu: false, tiers: []),
        SeedProject(org: "growth", owner: "growth-analytics", name: "attribution", cluster: "moka-b", gpu: false, tiers: []),
        SeedProject(org: "ml-platform", owner: "ml-serving", name: "embeddings", cluster: nil, gpu: true, tiers: []),
        SeedProject(org: "risk", owner: "credit-risk", name: "scoring", cluster: "moka-a", gpu: false, tiers: [1]),
        SeedProject(org: "growth", owner: "growth-analytics", name: "experiments", cluster: "moka-b", gpu: false, tiers: []),
        SeedProject(org: "data-eng", owner: "data-platform", name: "compaction", cluster: "moka-a", gpu: false, tiers: []),
        SeedProject(org: "marketing", owner: "marketing-insights", name: "campaigns", cluster: "moka-b", gpu: false, tiers: []),
        SeedProject(org: "finance", owner: "fpa", name: "forecasting", cluster: "moka-a", gpu: false, tiers: []),
        SeedProject(org: "logistics", owner: "fleet-ops", name: "routing", cluster: "moka-b", gpu: false, tiers: []),
        SeedProject(org: "support", owner: "support-ops", name: "tickets", cluster: "moka-a", gpu: false, tiers: []),
    ]
    static let generatedOrgs = ["retail", "media", "travel", "health", "energy", "ads", "identity", "maps",
                                "billing", "security", "catalog", "devices"]
    static let projectWords = ["etl", "reports", "features", "sessions", "clicks", "inventory", "pricing", "audits",
                               "alerts", "metrics", "churn", "loyalty", "recs", "geo", "quotes", "claims",
                               "payouts", "search-logs", "crm", "surveys"]
    static let teams = ["analytics", "platform", "insights", "core", "data"]

    /// The mapping CSVs that do not depend on the days: `workflows.csv`, `projects.csv`, `owners.csv`.
    public func mappingFiles() -> [SynthFile] {
        var workflowsCSV = CSV(header: ["workflow", "project", "tier", "slo_minutes"])
        for workflow in workflows {
            workflowsCSV.row([workflow.name, workflow.project, String(workflow.tier), String(workflow.sloMinutes)])
        }
        var projectsCSV = CSV(header: ["project", "owner"])
        for project in projects { projectsCSV.row([project.name, project.owner]) }
        var ownersCSV = CSV(header: ["owner", "org"])
        for owner in owners { ownersCSV.row([owner.name, owner.org]) }
        return [
            SynthFile(relativePath: "mappings/workflows.csv", bytes: workflowsCSV.bytes, compress: false),
            SynthFile(relativePath: "mappings/projects.csv", bytes: projectsCSV.bytes, compress: false),
            SynthFile(relativePath: "mappings/owners.csv", bytes: ownersCSV.bytes, compress: false),
        ]
    }
}

/// RFC 4180 CSV: CRLF-free (LF line ends, as every reader accepts), fields quoted only when needed.
struct CSV {
    var bytes: [UInt8] = []

    init(header: [String]) { row(header) }

    mutating func row(_ fields: [String]) {
        for (index, field) in fields.enumerated() {
            if index > 0 { bytes.append(44) }
            Self.appendField(field, to: &bytes)
        }
        bytes.append(10)
    }

    static func appendField(_ field: String, to bytes: inout [UInt8]) {
        var field = field
        let needsQuotes = field.withUTF8 { $0.contains { $0 == 44 || $0 == 34 || $0 == 10 || $0 == 13 } }
        guard needsQuotes else { bytes.append(field); return }
        bytes.append(34)
        for c in field.utf8 {
            if c == 34 { bytes.append(34) }
            bytes.append(c)
        }
        bytes.append(34)
    }
}
