import Foundation
import Ingest
import Synth
import Testing

/// Synth's promises, checked with the real ingest parser: determinism, every line classified as
/// generated, parsed fields equal to the truth, counts equal to the manifest, mappings well formed.
struct SynthTests {
    /// Small but busy: high malformed and duplicate rates so a few days exercise every path.
    static func options(seed: UInt64 = 7) -> SynthOptions {
        var options = SynthOptions()
        options.seed = seed
        options.days = 3
        options.appsPerDay = 400
        options.malformedRatio = 0.05
        options.duplicateRatio = 0.05
        options.noiseRatio = 1.5
        return options
    }

    static func days(_ options: SynthOptions) throws -> (SynthGenerator, [SynthDay]) {
        let generator = try SynthGenerator(options: options)
        return (generator, (0..<generator.dayCount).map(generator.day))
    }

    /// Calls `body` with each line of a file (without its newline).
    static func forEachLine(_ bytes: [UInt8], _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        bytes.withUnsafeBufferPointer { buffer in
            var start = 0
            for index in 0..<buffer.count where buffer[index] == 10 {
                body(UnsafeBufferPointer(rebasing: buffer[start..<index]))
                start = index + 1
            }
            #expect(start == buffer.count, "every line ends with a newline")
        }
    }

    static func nonZero(_ usage: [String: Int64]) -> [String: Int64] { usage.filter { $0.value != 0 } }

    @Test func sameSeedSameBytesDifferentSeedDifferentBytes() throws {
        let (_, first) = try Self.days(Self.options())
        let (_, again) = try Self.days(Self.options())
        let (_, other) = try Self.days(Self.options(seed: 8))
        #expect(first.count == again.count)
        for (a, b) in zip(first, again) {
            #expect(a.files.map(\.relativePath) == b.files.map(\.relativePath))
            #expect(a.files.map(\.bytes) == b.files.map(\.bytes))
            #expect(a.jobAppsRows == b.jobAppsRows)
            #expect(a.apps == b.apps)
        }
        #expect(first.flatMap { $0.files.map(\.bytes) } != other.flatMap { $0.files.map(\.bytes) })
        // A day does not depend on which other days are generated: day 2 of 3 is day 1 of a 2-day history.
        var shorter = Self.options()
        shorter.days = 2
        let (_, fewer) = try Self.days(shorter)
        #expect(fewer[1].files.map(\.bytes) == first[2].files.map(\.bytes))
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func everyLineParsesAsGenerated(seed: UInt64) throws {
        let (generator, days) = try Self.days(Self.options(seed: seed))
        var manifest = SynthManifest(generator: generator)
        var summaries = 0, rejected = 0, skipped = 0
        var byShape: [SynthShape: Int] = [:]
        // Per (cluster, app id): how often it was read as a first appearance and as a repeat. A repeat
        // can sit in a file read before the original's (a Fluent Bit copy of a YuniKorn line).
        var firsts: [String: Int] = [:], repeats: [String: Int] = [:]
        var duplicated = Set<String>()
        for day in days {
            manifest.add(day)
            var truth: [String: SynthApp] = [:]
            for app in day.apps {
                #expect(truth.updateValue(app, forKey: app.cluster + "/" + app.applicationID) == nil, "ids are unique")
                if app.duplicated { duplicated.insert(app.cluster + "/" + app.applicationID) }
            }
            for file in day.files {
                let shape = SynthShape.allCases.first { file.relativePath.contains(Self.fileMarker($0)) }!
                let cluster = String(file.relativePath.split(separator: "/")[1])
                var lineIndex = 0
                Self.forEachLine(file.bytes) { line in
                    let kind = file.lineKinds[lineIndex]
                    lineIndex += 1
                    let outcome = SummaryLine.parse(line)
                    let text = String(decoding: line, as: UTF8.self)
                    switch kind {
                    case .summary, .duplicate:
                        guard case .summary(let parsed) = outcome else {
                            Issue.record("\(file.relativePath):\(lineIndex) not a summary: \(outcome)\n\(text)")
                            return
                        }
                        summaries += 1
                        byShape[shape, default: 0] += 1
                        let key = cluster + "/" + parsed.applicationID
                        if kind == .summary { firsts[key, default: 0] += 1 } else { repeats[key, default: 0] += 1 }
                        guard let app = truth[key] else {
                            Issue.record("\(key) is not a generated app")
                            return
                        }
                        let format: AppSummary.Format = switch app.format {
                        case .yarn: .yarn
                        case .yunikornJSON: .yunikornJSON
                        default: .yunikorn
                        }
                        #expect(parsed.format == format)
                        #expect(parsed.rmID == (app.format == .yarn ? "" : app.cluster))
                        #expect(parsed.queue == app.queue)
                        #expect(parsed.user == app.user)
                        #expect(parsed.state == app.state)
                        #expect(parsed.submissionTime == app.submissionTime)
                        #expect(parsed.startTime == app.startTime)
                        #expect(parsed.finishTime == app.finishTime)
                        #expect(Self.nonZero(parsed.usage) == app.usage.byResource, "\(text)")
                        #expect(Self.nonZero(parsed.preempted) == app.preempted.byResource)
                        #expect(Self.nonZero(parsed.placeholder) == app.placeholder.byResource)
                    case .malformed:
                        rejected += 1
                        guard case .rejected = outcome else {
                            Issue.record("\(file.relativePath):\(lineIndex) malformed but \(outcome)\n\(text)")
                            return
                        }
                    case .noise:
                        skipped += 1
                        #expect(outcome == .skipped, "\(file.relativePath):\(lineIndex)\n\(text)")
                    }
                }
                #expect(lineIndex == file.lineKinds.count)
            }
        }
        let counts = manifest.counts
        #expect(summaries == counts.totalSummaryLines)
        #expect(byShape == counts.summaryLines.filter { $0.value > 0 })
        #expect(firsts.count == counts.apps && firsts.values.allSatisfy { $0 == 1 })
        #expect(Set(repeats.keys) == duplicated && repeats.values.allSatisfy { $0 == 1 })
        #expect(summaries - firsts.count == counts.duplicateLines)
        #expect(rejected == counts.totalMalformedLines)
        #expect(skipped == counts.noiseLines)
        #expect(counts.lines == summaries + rejected + skipped)
        #expect(counts.apps == counts.workflowApps + counts.adhocApps + counts.unattributedApps)
        // Every shape and every kind of line is there.
        #expect(Set(counts.summaryLines.filter { $0.value > 0 }.keys) == Set(SynthShape.allCases))
        #expect(counts.duplicateLines > 0 && rejected > 10 && counts.unattributedApps > 0)
    }

    static func fileMarker(_ shape: SynthShape) -> String {
        switch shape {
        case .yunikorn: "/yunikorn-2"
        case .yunikornJSON: "/yunikorn-1.4-"
        case .fluentBit: "/fluentbit-"
        case .yarn: "/rm-appsummary-"
        }
    }

    @Test func realisticContent() throws {
        let (generator, days) = try Self.days(Self.options())
        let apps = days.flatMap(\.apps)
        let all = days.flatMap { $0.files.map { String(decoding: $0.bytes, as: UTF8.self) } }.joined()
        // TrackedResource entries are not always in one order, and some carry instance types.
        #expect(all.contains("TrackedResource{UNKNOWN:vcore="))
        #expect(all.contains("TrackedResource{UNKNOWN:memory="))
        #expect(all.contains("m5.") || all.contains("r5.") || all.contains("c5."))
        #expect(all.contains("nvidia.com/gpu="))
        #expect(all.contains("\\, "), "YARN escapes in names")
        #expect(all.contains("\tDEBUG\t"))
        #expect(apps.contains { $0.usage.gpu > 0 })
        for app in apps {
            #expect(app.finishTime >= app.startTime && app.startTime >= app.submissionTime)
            #expect(app.usage.vcore % 1000 == 0 && app.usage.memory % (1 << 20) == 0)
            let seconds = (app.finishTime - app.startTime) / 1000
            // The driver runs for the whole application; executors add to it.
            #expect(app.usage.vcore >= 1000 * seconds)
            if app.format != .yarn { #expect(app.usage.pods >= seconds) }
            if app.usage.gpu > 0 {
                let project = generator.world.projects.first { app.queue.hasPrefix("root.\($0.org).\($0.name).") }
                #expect(project?.usesGPU == true && app.cluster == "moka-a")
            }
        }
        // Tiers roughly 20/30/50 over enough workflows, and some chronically late tier-1 workflows.
        var large = SynthOptions()
        large.appsPerDay = 20_000
        let world = SynthWorld(options: large)
        let tiers = (1...3).map { tier in Double(world.workflows.filter { $0.tier == tier }.count) / Double(world.workflows.count) }
        #expect(abs(tiers[0] - 0.2) < 0.08 && abs(tiers[1] - 0.3) < 0.08 && abs(tiers[2] - 0.5) < 0.08, "\(tiers)")
        #expect(world.workflows.contains { $0.chronicallyLate })
        #expect(world.workflows.contains { $0.hourly })
    }

    @Test func sloTruthHasOffendersAndMostTierOneRunsMeetTheirSLO() throws {
        var options = Self.options()
        options.days = 7
        let (generator, days) = try Self.days(options)
        var manifest = SynthManifest(generator: generator)
        days.forEach { manifest.add($0) }
        let met = manifest.counts.runsMet[0], missed = manifest.counts.runsMissed[0]
        #expect(met + missed > 0)
        #expect(Double(met) / Double(met + missed) > 0.75, "tier 1: \(met) met, \(missed) missed")
        #expect(!manifest.lateWorkflows.isEmpty)
        // Recompute from the applications: late workflows miss most of their runs.
        let workflows = Dictionary(uniqueKeysWithValues: generator.world.workflows.map { ($0.name, $0) })
        var lastFinish: [String: (workflow: String, scheduled: Int64, finish: Int64)] = [:]
        for app in days.flatMap(\.apps) where app.attribution == .workflow {
            let run = app.runID!
            let previous = lastFinish[run]?.finish ?? 0
            lastFinish[run] = (app.workflow!, app.scheduledAt!, max(previous, app.finishTime))
        }
        var lateMissed = 0, lateRuns = 0, recomputedMet = [0, 0, 0]
        for run in lastFinish.values {
            let workflow = workflows[run.workflow]!
            let onTime = run.finish <= run.scheduled + Int64(workflow.sloMinutes) * 60_000
            if onTime { recomputedMet[workflow.tier - 1] += 1 }
            if workflow.chronicallyLate {
                lateRuns += 1
                if !onTime { lateMissed += 1 }
            }
        }
        #expect(recomputedMet == manifest.counts.runsMet)
        #expect(lateRuns > 0 && Double(lateMissed) / Double(lateRuns) > 0.6)
    }

    @Test func totalSummaryLinesIsExact() throws {
        var options = SynthOptions()
        options.days = 3
        options.totalSummaryLines = 5_003
        options.duplicateRatio = 0.01
        let (generator, days) = try Self.days(options)
        var manifest = SynthManifest(generator: generator)
        days.forEach { manifest.add($0) }
        #expect(manifest.counts.totalSummaryLines == 5_003)
        #expect(manifest.counts.apps + manifest.counts.duplicateLines == 5_003)
        // A tiny budget still works: whole runs that do not fit are skipped.
        options.totalSummaryLines = 10
        let (tinyGenerator, tinyDays) = try Self.days(options)
        var tiny = SynthManifest(generator: tinyGenerator)
        tinyDays.forEach { tiny.add($0) }
        #expect(tiny.counts.totalSummaryLines == 10)
    }

    @Test func queueNamesFollowYuniKornRules() throws {
        let (generator, days) = try Self.days(Self.options())
        func valid(_ level: Substring) -> Bool {
            (1...64).contains(level.count) && level.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        }
        var queues = Set(days.flatMap { $0.apps.map(\.queue) })
        for project in generator.world.projects { queues.formUnion((1...3).map { project.queue(tier: $0) }) }
        for queue in queues {
            let levels = queue.split(separator: ".", omittingEmptySubsequences: false)
            #expect(levels.first == "root" && levels.allSatisfy(valid), "\(queue)")
            #expect(levels.count == 2 || (levels.count == 4 && ["tier1", "tier2", "tier3"].contains(levels[3])), "\(queue)")
        }
        for project in generator.world.projects {
            #expect(project.org == project.org.lowercased() && project.name == project.name.lowercased())
        }
        #expect(queues.contains("root.payments.ledger.tier1") && queues.contains("root.default"))
    }

    /// RFC 4180 fields of a whole CSV file.
    static func csv(_ bytes: [UInt8]) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field: [UInt8] = []
        var quoted = false, index = 0
        while index < bytes.count {
            let c = bytes[index]
            if quoted {
                if c == 34 {
                    if index + 1 < bytes.count && bytes[index + 1] == 34 { field.append(34); index += 1 } else { quoted = false }
                } else {
                    field.append(c)
                }
            } else if c == 34 {
                quoted = true
            } else if c == 44 {
                row.append(String(decoding: field, as: UTF8.self)); field = []
            } else if c == 10 {
                row.append(String(decoding: field, as: UTF8.self)); field = []
                rows.append(row); row = []
            } else {
                field.append(c)
            }
            index += 1
        }
        #expect(!quoted && field.isEmpty && row.isEmpty, "the file ends with a complete row")
        return rows
    }

    @Test func mappingsAreWellFormedAndConsistent() throws {
        let (generator, days) = try Self.days(Self.options())
        let files = Dictionary(uniqueKeysWithValues: generator.world.mappingFiles().map { ($0.relativePath, $0.bytes) })
        let workflows = Self.csv(files["mappings/workflows.csv"]!)
        let projects = Self.csv(files["mappings/projects.csv"]!)
        let owners = Self.csv(files["mappings/owners.csv"]!)
        let jobApps = Self.csv(SynthGenerator.jobAppsHeader + days.flatMap(\.jobAppsRows))
        #expect(workflows.first == ["workflow", "project", "tier", "slo_minutes"])
        #expect(projects.first == ["project", "owner"])
        #expect(owners.first == ["owner", "org"])
        #expect(jobApps.first == ["app_id", "workflow", "job", "run_id", "scheduled_at"])
        for (rows, width) in [(workflows, 4), (projects, 2), (owners, 2), (jobApps, 5)] {
            #expect(rows.count > 1 && rows.allSatisfy { $0.count == width })
        }
        let ownerNames = Set(owners.dropFirst().map { $0[0] })
        let projectNames = Set(projects.dropFirst().map { $0[0] })
        let workflowNames = Set(workflows.dropFirst().map { $0[0] })
        #expect(ownerNames.count == owners.count - 1 && projectNames.count == projects.count - 1)
        #expect(projects.dropFirst().allSatisfy { ownerNames.contains($0[1]) })
        for row in workflows.dropFirst() {
            #expect(projectNames.contains(row[1]) && ["1", "2", "3"].contains(row[2]) && (Int(row[3]) ?? 0) > 0)
        }
        let apps = Dictionary(uniqueKeysWithValues: days.flatMap(\.apps).map { ($0.applicationID, $0) })
        let iso = try Regex(#"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00Z$"#)
        var jobsWithComma = 0
        for row in jobApps.dropFirst() {
            guard let app = apps[row[0]] else { Issue.record("job_apps app \(row[0]) was not generated"); continue }
            #expect(app.attribution == .workflow && app.workflow == row[1] && app.job == row[2] && app.runID == row[3])
            #expect(workflowNames.contains(row[1]))
            #expect(row[4].wholeMatch(of: iso) != nil, "\(row[4])")
            if row[2].contains(",") { jobsWithComma += 1 }
        }
        #expect(jobsWithComma > 0, "a quoted field exercises RFC 4180 readers")
        #expect(jobApps.count - 1 == days.reduce(0) { $0 + $1.counts.workflowApps })
        #expect(String(decoding: files["mappings/workflows.csv"]!, as: UTF8.self).hasPrefix("workflow,project,tier,slo_minutes\n"))
    }

    @Test func onlyTheChosenShapes() throws {
        var options = Self.options()
        options.shapes = [.yarn]
        let (_, days) = try Self.days(options)
        let paths = days.flatMap { $0.files.map(\.relativePath) }
        #expect(!paths.isEmpty && paths.allSatisfy { $0.hasPrefix("yarn/") && $0.hasSuffix(".log") })
        #expect(days.flatMap(\.apps).allSatisfy { $0.format == .yarn && $0.usage.gpu == 0 && $0.usage.pods == 0 })
    }

    @Test func badOptionsAreRefusedWithEveryProblem() {
        var options = SynthOptions()
        options.days = 0
        options.clusters = [SynthCluster("moka/a")]
        options.malformedRatio = 2
        #expect(throws: SynthError.self) { try SynthGenerator(options: options) }
        #expect(options.problems.count == 3)
    }

    @Test func writerLaysOutFilesAndManifest() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("synth-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var options = Self.options()
        options.days = 2
        options.compress = true
        // A stand-in compressor (Synth cannot link zlib): the writer must store exactly what it returns.
        let manifest = try SynthWriter.write(options, to: folder, compressor: { Array("GZ".utf8) + $0 })
        let (_, days) = try Self.days(options)
        for file in days.flatMap(\.files) {
            #expect(file.relativePath.hasSuffix(".log.gz"))
            let stored = try [UInt8](Data(contentsOf: URL(fileURLWithPath: folder + "/" + file.relativePath)))
            #expect(stored == Array("GZ".utf8) + file.bytes)
        }
        for name in ["workflows", "projects", "owners", "job_apps"] {
            #expect(FileManager.default.fileExists(atPath: "\(folder)/mappings/\(name).csv"))
        }
        let text = try String(contentsOfFile: folder + "/manifest.json", encoding: .utf8)
        let json = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(json?["summary_lines"] as? Int == manifest.counts.totalSummaryLines)
        #expect(json?["apps"] as? Int == days.reduce(0) { $0 + $1.apps.count })
        #expect((json?["queues"] as? [Any])?.count == manifest.queues.count)
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: folder).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)

        // Without a compressor compressed output is refused rather than silently written plain.
        #expect(throws: SynthError.self) { try SynthWriter.write(options, to: folder + "/other") }
        // Written twice, byte for byte the same.
        options.compress = false
        let plain = folder + "/plain"
        _ = try SynthWriter.write(options, to: plain)
        let firstManifest = try Data(contentsOf: URL(fileURLWithPath: plain + "/manifest.json"))
        let firstJobs = try Data(contentsOf: URL(fileURLWithPath: plain + "/mappings/job_apps.csv"))
        _ = try SynthWriter.write(options, to: plain)
        #expect(try Data(contentsOf: URL(fileURLWithPath: plain + "/manifest.json")) == firstManifest)
        #expect(try Data(contentsOf: URL(fileURLWithPath: plain + "/mappings/job_apps.csv")) == firstJobs)
    }
}
