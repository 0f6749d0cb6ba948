/// The pure generator: options in, days of files and applications out. No clock, no I/O.
///
/// Each day is generated independently from `(seed, day)`, so days can be produced in any order or in
/// parallel, and `day(i)` always gives the same bytes. Applications are grouped into files by the day
/// they were submitted on; the lines of a file are ordered by time (a run that crosses midnight logs its
/// summary just after 00:00 into the file of the day it started).
public struct SynthGenerator: Sendable {
    public let options: SynthOptions
    public let world: SynthWorld
    let dates: [SynthDate]
    let enabledShapes: [SynthShape]
    /// Per workflow: its service user and the Spark application name of each job, built once rather
    /// than once per application.
    let workflowUsers: [String]
    let jobAppNames: [[String]]

    /// Checks the options and sizes the platform; throws a `SynthError` listing every problem.
    public init(options: SynthOptions) throws {
        let problems = options.problems
        guard problems.isEmpty else { throw SynthError(problems.joined(separator: "; ")) }
        self.options = options
        self.world = SynthWorld(options: options)
        self.dates = options.dates
        self.enabledShapes = SynthShape.allCases.filter(options.shapes.contains)
        let world = self.world
        workflowUsers = world.workflowProject.map { "svc-" + world.projects[$0].name }
        jobAppNames = world.workflows.map { workflow in workflow.jobs.map { workflow.name + ":" + $0.name } }
    }

    /// How many days `day(_:)` accepts.
    public var dayCount: Int { dates.count }

    /// The header row of `job_apps.csv`.
    public static let jobAppsHeader: [UInt8] = Array("app_id,workflow,job,run_id,scheduled_at\n".utf8)

    /// Generates day `index` (0 = oldest).
    public func day(_ index: Int) -> SynthDay {
        let date = dates[index]
        var random = SynthRandom(seed: options.seed, stream: 0x4441_59, UInt64(bitPattern: Int64(date.epochDay)))
        var builder = DayBuilder(generator: self, date: date)

        // The day's budget: summary lines (duplicates included) in total-lines mode, else distinct apps.
        var remaining: Int
        if let total = options.totalSummaryLines {
            remaining = total / dates.count + (index < total % dates.count ? 1 : 0)
        } else {
            remaining = options.appsPerDay
        }
        let countsLines = options.totalSummaryLines != nil

        // Scheduled workflow runs; a run that does not fit the budget is skipped whole (tiny budgets only).
        builder.apps.reserveCapacity(Int(Double(remaining) * 1.05) + 64)
        for (workflowIndex, workflow) in world.workflows.enumerated() {
            let projectIndex = world.workflowProject[workflowIndex]
            let project = world.projects[projectIndex]
            let queue = world.queues[projectIndex][workflow.tier - 1]
            let user = workflowUsers[workflowIndex]
            for minute in workflow.runMinutes {
                // The run's applications go straight into the day (copying them is not free at a million
                // apps) and are taken back out if the run does not fit the budget.
                let runStart = builder.apps.count
                let scheduledAt = date.startMillis + Int64(minute) * 60_000
                var cost = 0, lastFinish = scheduledAt
                let runID = Self.runID(workflow.name, scheduledAt)
                var stageStart = scheduledAt + random.int64(5_000...90_000)
                // Now and then a run is slow throughout (a busy cluster, a skewed input): the sporadic
                // SLO misses every real platform has, next to the chronically late workflows.
                let slowdown = random.chance(0.03) ? random.uniform(1.6, 3.2) : 1.0
                for stage in 0..<workflow.stageCount {
                    var stageEnd = stageStart
                    for (jobIndex, job) in workflow.jobs.enumerated() where job.stage == stage {
                        var submit = stageStart + random.int64(0...5_000)
                        var retried = false
                        while true {
                            var app = builder.makeApp(
                                &random, project: project, projectIndex: projectIndex, queue: queue,
                                tier: workflow.tier, user: user, name: jobAppNames[workflowIndex][jobIndex],
                                submit: submit, medianSeconds: Double(job.medianSeconds) * slowdown, sigma: 0.25,
                                executors: job.executors, cores: job.executorCores,
                                memoryMiB: job.executorMemoryMiB, gpus: job.gpusPerExecutor, canFail: !retried)
                            app.attribution = .workflow
                            app.workflow = workflow.name
                            app.job = job.name
                            app.runID = runID
                            app.scheduledAt = scheduledAt
                            stageEnd = max(stageEnd, app.finishTime)
                            let failed = !app.succeeded
                            cost += countsLines && app.duplicated ? 2 : 1
                            lastFinish = max(lastFinish, app.finishTime)
                            builder.apps.append(app)
                            // A failed job is retried once by the workflow scheduler, as a new application.
                            guard failed && !retried else { break }
                            retried = true
                            submit = app.finishTime + random.int64(20_000...120_000)
                        }
                    }
                    stageStart = stageEnd + random.int64(2_000...30_000)
                }
                guard cost <= remaining else {
                    builder.apps.removeSubrange(runStart...)
                    continue
                }
                remaining -= cost
                let met = lastFinish <= scheduledAt + Int64(workflow.sloMinutes) * 60_000
                builder.counts.workflowRuns += 1
                if met {
                    builder.counts.runsMet[workflow.tier - 1] += 1
                } else {
                    builder.counts.runsMissed[workflow.tier - 1] += 1
                }
            }
        }
        builder.counts.workflowApps = builder.apps.count

        // Ad-hoc work fills the rest: notebooks, backfills, one-off queries; fewer at weekends.
        if !countsLines && (date.weekday == 0 || date.weekday == 6) { remaining = remaining * 6 / 10 }
        while remaining > 0 {
            var app = builder.adhocApp(&random)
            if countsLines && app.duplicated && remaining < 2 { app.duplicated = false }
            remaining -= countsLines && app.duplicated ? 2 : 1
            if app.attribution == .none { builder.counts.unattributedApps += 1 } else { builder.counts.adhocApps += 1 }
            builder.apps.append(app)
        }
        builder.counts.apps = builder.apps.count
        builder.counts.failedApps = builder.apps.reduce(0) { $0 + ($1.succeeded ? 0 : 1) }
        return builder.finish()
    }

    /// `<workflow>-YYYYMMDDTHHMM`: unique per workflow and scheduled time.
    static func runID(_ workflow: String, _ scheduledAt: Int64) -> String {
        var out = Array(workflow.utf8)
        out.append(45)
        let day = Int(scheduledAt.floorDiv(86_400_000))
        let ofDay = Int(scheduledAt - Int64(day) * 86_400_000)
        out.appendDate(epochDay: day, separator: nil)
        out.append(84)
        out.appendPadded(ofDay / 3_600_000, width: 2)
        out.appendPadded(ofDay / 60_000 % 60, width: 2)
        return String(decoding: out, as: UTF8.self)
    }
}

/// The state of one day being generated.
struct DayBuilder {
    let generator: SynthGenerator
    let date: SynthDate
    var apps: [SynthApp] = []
    var counts = SynthCounts()
    /// Weights of the enabled shapes (in `enabledShapes` order), and the shapes GPU work may use.
    let shapeWeights: [Double]
    let kubernetesShapes: [SynthShape]
    let jsonEnabled: Bool

    init(generator: SynthGenerator, date: SynthDate) {
        self.generator = generator
        self.date = date
        shapeWeights = generator.enabledShapes.map(\.weight)
        kubernetesShapes = generator.enabledShapes.filter { $0 != .yarn }
        jsonEnabled = generator.options.shapes.contains(.yunikornJSON)
    }

    static let driverMiB: Int64 = 4096 + 409
    static let humans = ["alice", "bob", "carol.ng", "dmitri", "erin", "farah", "gwen", "hiro", "ivan", "jun.li",
                         "kemal", "lena", "marta", "nikhil", "olu", "priya"]
    static let adhocNames = ["adhoc-query", "notebook session", "backfill, manual", "explore=v2", "sql-cli",
                             "dashboard refresh", "one-off export", "debug\\rerun"]

    /// One ad-hoc application: mostly in the project's tier-3 queue, a few unattributable.
    mutating func adhocApp(_ random: inout SynthRandom) -> SynthApp {
        let world = generator.world
        let projectIndex = random.int(0...(world.projects.count - 1))
        let project = world.projects[projectIndex]
        let unattributed = random.chance(0.03)
        let u = random.unit()
        let tier = u < 0.1 ? 1 : (u < 0.35 ? 2 : 3)
        // Office hours (08:00-19:00 UTC) for most, the rest any time.
        let offset = random.chance(0.7) ? random.int64(28_800_000...68_400_000) : random.int64(0...86_399_999)
        let user = random.chance(0.1) ? "system:serviceaccount:\(project.org):spark" : random.pick(Self.humans)
        var cluster = project.cluster
        var clusterIndex = generator.world.projectClusterIndex[projectIndex]
        if unattributed {
            clusterIndex = random.int(0...(generator.options.clusters.count - 1))
            cluster = generator.options.clusters[clusterIndex].name
        }
        var app = makeApp(&random, project: project, projectIndex: projectIndex,
                          queue: world.queues[projectIndex][tier - 1], tier: tier, user: user,
                          name: random.pick(Self.adhocNames),
                          submit: date.startMillis + offset, medianSeconds: 360, sigma: 0.9,
                          executors: min(max(Int(random.logNormal(median: 4, sigma: 0.9)), 1), 100),
                          cores: random.pick([1, 2, 4]), memoryMiB: random.pick([2, 4, 8, 16]) * 1024,
                          gpus: project.usesGPU && random.chance(0.3) ? 1 : 0, canFail: true)
        app.attribution = .queue
        if unattributed {
            app.cluster = cluster
            app.clusterIndex = clusterIndex
            app.queue = random.pick(["root.default", "root.spark"])
            app.tier = 0
            app.attribution = .none
            // Unattributable work never holds GPUs: it could not be scheduled on a GPU queue.
            if app.usage.gpu != 0 || app.preempted.gpu != 0 {
                app.usage.gpu = 0
                app.preempted.gpu = 0
                app.placeholder.gpu = 0
            }
        }
        return app
    }

    /// One application's times, shape and usage. Usage follows runtime × executors × executor size:
    /// a driver pod (1 core, 4 GiB + overhead) for the whole runtime plus executors for a share of it.
    mutating func makeApp(_ random: inout SynthRandom, project: SynthProject, projectIndex: Int, queue: String,
                          tier: Int, user: String, name: String,
                          submit: Int64, medianSeconds: Double, sigma: Double, executors: Int, cores: Int,
                          memoryMiB: Int, gpus: Int, canFail: Bool) -> SynthApp {
        var wait = tier == 1 ? random.logNormal(median: 6_000, sigma: 0.8) : random.logNormal(median: 15_000, sigma: 1.0)
        wait = min(max(wait, 500), 1_200_000)
        if random.chance(0.005) { wait += Double(random.int(120_000...900_000)) }
        let failed = canFail && random.chance(SynthWorld.failureRate)
        var runtime = medianSeconds * 1000 * random.logNormal(median: 1, sigma: sigma)
        runtime = min(max(runtime, 20_000), 6 * 3_600_000)
        if failed { runtime = max(runtime * random.uniform(0.05, 0.6), 5_000) }
        let start = submit + Int64(wait)
        let finish = start + Int64(runtime)

        var shape = generator.enabledShapes[random.weighted(shapeWeights)]
        var gpus = gpus
        if gpus > 0 && shape == .yarn {
            // GPU work runs on Kubernetes only.
            if kubernetesShapes.isEmpty { gpus = 0 } else { shape = kubernetesShapes[random.int(0...(kubernetesShapes.count - 1))] }
        }
        let format: SynthShape = shape == .fluentBit ? (jsonEnabled && random.chance(0.15) ? .yunikornJSON : .yunikorn) : shape
        let yarn = format == .yarn

        let seconds = (finish - start) / 1000
        let executorsE = Int64(executors)
        let executorSeconds = Int64(Double(executorsE * seconds) * random.uniform(0.55, 0.98))
        let executorMiB = Int64(memoryMiB + max(384, memoryMiB / 10))
        let coresE = Int64(cores), gpusE = Int64(gpus)
        var usage = SynthUsage(vcore: 1000 * seconds + coresE * 1000 * executorSeconds,
                               memory: (Self.driverMiB * seconds + executorMiB * executorSeconds) << 20,
                               pods: yarn ? 0 : seconds + executorSeconds,
                               gpu: gpusE * executorSeconds)
        if yarn { usage.gpu = 0 }
        var preempted = SynthUsage()
        if random.chance(0.03) {
            let lost = Int64(random.int(1...min(3, executors)))
            let lostSeconds = Int64(Double(seconds) * random.uniform(0.05, 0.3))
            preempted = SynthUsage(vcore: lost * coresE * 1000 * lostSeconds, memory: (lost * executorMiB * lostSeconds) << 20,
                                   pods: yarn ? 0 : lost * lostSeconds, gpu: yarn ? 0 : lost * gpusE * lostSeconds)
        }
        var placeholder = SynthUsage()
        if format == .yunikorn && random.chance(0.04) {
            // Gang scheduling: placeholders for the driver and every executor, held a few seconds.
            let held = Int64(random.int(2...30))
            placeholder = SynthUsage(vcore: (coresE * executorsE + 1) * 1000 * held,
                                     memory: ((executorMiB * executorsE + Self.driverMiB) << 20) * held,
                                     pods: (executorsE + 1) * held, gpu: gpusE * executorsE * held)
        }
        let state: String
        if yarn {
            state = failed ? (random.chance(0.2) ? "KILLED" : "FAILED") : "FINISHED"
        } else {
            state = failed ? "Failed" : "Completed"
        }
        var id = ""
        if !yarn {
            var bytes: [UInt8] = Array("spark-".utf8)
            bytes.appendHex(&random, count: 32)
            id = String(decoding: bytes, as: UTF8.self)
        }
        return SynthApp(
            cluster: project.cluster, applicationID: id, shape: shape, format: format, name: name, user: user,
            queue: queue, state: state, submissionTime: submit, startTime: start,
            finishTime: finish, usage: usage, preempted: preempted, placeholder: placeholder, attribution: .queue,
            workflow: nil, job: nil, runID: nil, scheduledAt: nil, duplicated: random.chance(generator.options.duplicateRatio),
            tier: tier, clusterIndex: generator.world.projectClusterIndex[projectIndex])
    }

    /// YARN ids, `job_apps.csv` rows, and the log files, cluster by cluster.
    mutating func finish() -> SynthDay {
        let options = generator.options
        var files: [SynthFile] = []
        for (clusterIndex, cluster) in options.clusters.enumerated() {
            var random = SynthRandom(seed: options.seed, stream: 0x454D_4954, UInt64(bitPattern: Int64(date.epochDay)),
                                     UInt64(clusterIndex))
            // Index work goes through a buffer pointer: reading a field of `apps[i]` in a closure can
            // otherwise copy the whole application (a dozen retains) each time.
            var indices: [Int] = [], yarnApps: [Int] = []
            apps.withUnsafeBufferPointer { apps in
                indices = apps.indices.filter { apps[$0].clusterIndex == clusterIndex }
                yarnApps = indices.filter { apps[$0].format == .yarn }
                    .sorted { (apps[$0].submissionTime, $0) < (apps[$1].submissionTime, $1) }
            }
            // The ResourceManager numbers applications in submission order; it restarts nightly here,
            // so its cluster timestamp is a few minutes before midnight.
            let clusterTimestamp = date.startMillis - random.int64(60_000...900_000)
            var sequence = 0
            for index in yarnApps {
                sequence += 1
                apps[index].applicationID = Self.yarnID(clusterTimestamp, sequence)
            }
            apps.withUnsafeBufferPointer { apps in
                indices.sort { (apps[$0].finishTime, $0) < (apps[$1].finishTime, $1) }
            }
            var perShape = [0, 0, 0, 0]
            apps.withUnsafeBufferPointer { apps in
                for index in indices { perShape[apps[index].shape.order] += 1 }
            }
            var composer = LineComposer(cluster: cluster.name, date: date, options: options, random: random,
                                        yarnTimestamp: clusterTimestamp, yarnSequence: sequence, expected: perShape)
            apps.withUnsafeBufferPointer { apps in
                for index in indices { composer.emit(apps[index]) }
            }
            composer.finishCounts()
            counts.add(composer.counts)
            for shape in generator.enabledShapes {
                let file = composer.files[shape.order]
                guard !file.kinds.isEmpty else { continue }
                let path = shape.relativePath(cluster: cluster.name, date: date) + (options.compress ? ".gz" : "")
                files.append(SynthFile(relativePath: path, bytes: file.bytes, compress: options.compress,
                                       lineKinds: file.kinds))
            }
        }
        var rows: [UInt8] = []
        rows.reserveCapacity(counts.workflowApps * 120)
        apps.withUnsafeBufferPointer { apps in
            for index in apps.indices where apps[index].attribution == .workflow {
                CSV.appendField(apps[index].applicationID, to: &rows); rows.append(44)
                CSV.appendField(apps[index].workflow ?? "", to: &rows); rows.append(44)
                CSV.appendField(apps[index].job ?? "", to: &rows); rows.append(44)
                CSV.appendField(apps[index].runID ?? "", to: &rows); rows.append(44)
                rows.appendISOSeconds(apps[index].scheduledAt ?? 0)
                rows.append(10)
            }
        }
        return SynthDay(date: date, files: files, apps: apps, jobAppsRows: rows, counts: counts)
    }

    /// `application_<cluster timestamp>_<sequence, at least 4 digits>`.
    static func yarnID(_ clusterTimestamp: Int64, _ sequence: Int) -> String {
        var out: [UInt8] = Array("application_".utf8)
        out.appendInt(clusterTimestamp)
        out.append(95)
        out.appendPadded(sequence, width: 4)
        return String(decoding: out, as: UTF8.self)
    }
}
