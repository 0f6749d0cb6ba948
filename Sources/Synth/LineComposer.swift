/// One log file being built: its bytes, what each line is, and the time of its newest line.
struct FileBuffer {
    var bytes: [UInt8] = []
    var kinds: [SynthLineKind] = []
    var lastTime: Int64
}

/// The ways a malformed summary is broken; every one must be rejected, never read as a summary.
enum Corruption: CaseIterable {
    case truncated, nonNumericTime, negativeUsage, finishBeforeStart
}

/// Writes one cluster's lines for one day: summaries in every shape, scheduler chatter around them,
/// malformed summaries and duplicates, in time order per file.
struct LineComposer {
    let cluster: String
    let noiseWhole: Int
    let noiseFraction: Double
    let malformedRatio: Double
    let enabled: [Bool]
    var random: SynthRandom
    var files: [FileBuffer]
    var counts = SynthCounts()
    var summaryByShape = [0, 0, 0, 0]
    var malformedByShape = [0, 0, 0, 0]
    var scratch: [UInt8] = []
    var spare: [UInt8] = []
    var noiseLine: [UInt8] = []
    var entries: [(instance: Int, resource: Int, value: Int64)] = []
    let podName: [UInt8]
    let nodes: [[UInt8]]
    let yarnTimestamp: Int64
    var yarnSequence: Int
    let modernYARN: Bool

    /// `expected` is the number of applications per shape (by `SynthShape.order`), to size the buffers once.
    init(cluster: String, date: SynthDate, options: SynthOptions, random: SynthRandom, yarnTimestamp: Int64,
         yarnSequence: Int, expected: [Int]) {
        self.cluster = cluster
        self.random = random
        noiseWhole = Int(options.noiseRatio)
        noiseFraction = options.noiseRatio - Double(noiseWhole)
        malformedRatio = options.malformedRatio
        enabled = SynthShape.allCases.map(options.shapes.contains)
        files = Array(repeating: FileBuffer(lastTime: date.startMillis), count: SynthShape.allCases.count)
        // Typical line lengths per shape: summary, chatter. Growing a buffer by doubling would copy it twice over.
        let lengths = [(560, 230), (600, 230), (800, 450), (900, 190)]
        let lines = 1 + options.noiseRatio + options.malformedRatio + options.duplicateRatio
        for (index, count) in expected.enumerated() where count > 0 {
            let perApp = Double(lengths[index].0) * (1 + options.duplicateRatio)
                + Double(lengths[index].1) * options.noiseRatio
            // The Fluent Bit file also takes the copies of duplicated YuniKorn lines.
            let copies = index == 2 ? Double(expected[0] + expected[1]) * options.duplicateRatio * 900 : 0
            files[index].bytes.reserveCapacity(Int(Double(count) * perApp * 1.15 + copies))
            files[index].kinds.reserveCapacity(Int(Double(count) * lines * 1.1) + 16)
        }
        var pod: [UInt8] = Array("yunikorn-scheduler-".utf8)
        pod.appendHex(&self.random, count: 10); pod.append(45); pod.appendHex(&self.random, count: 5)
        podName = pod
        var nodes: [[UInt8]] = []
        for _ in 0..<24 {
            var node: [UInt8] = Array("ip-10-".utf8)
            node.appendInt(self.random.int(0...15)); node.append(45)
            node.appendInt(self.random.int(0...255)); node.append(45)
            node.appendInt(self.random.int(1...254)); node.append(".ec2.internal")
            nodes.append(node)
        }
        self.nodes = nodes
        self.yarnTimestamp = yarnTimestamp
        self.yarnSequence = yarnSequence
        // Some ResourceManagers run a Hadoop with launchTime and the trailing keys, some do not.
        modernYARN = self.random.chance(0.5)
        scratch.reserveCapacity(2048)
        spare.reserveCapacity(2048)
        noiseLine.reserveCapacity(1024)
    }

    static let instanceTypes = ["m5.xlarge", "m5.2xlarge", "r5.4xlarge", "c5.9xlarge"]
    static let gpuInstanceTypes = ["p3.8xlarge", "g5.12xlarge"]

    /// An application's summary line (and what comes with it) into its file.
    mutating func emit(_ app: SynthApp) {
        let logTime = app.finishTime + random.int64(1...400)
        let shape = app.shape
        var noise = noiseWhole
        if noiseFraction > 0 && random.unit() < noiseFraction { noise += 1 }
        if noise > 0 { chatter(count: noise, shape: shape, app: app, until: logTime) }

        // Buffers are moved out of self while composing, so that writing them does not overlap with
        // the mutating calls that fill them.
        var line = scratch
        scratch = []
        line.removeAll(keepingCapacity: true)
        _ = compose(app, corruption: nil, logTime: logTime, into: &line)
        put(line, file: shape, kind: .summary, time: logTime)
        summaryByShape[shape.order] += 1

        if app.duplicated {
            // The same record reaches the store twice: a scheduler log and its Fluent Bit copy, or a
            // re-shipped ResourceManager file.
            var target = shape
            switch shape {
            case .yunikorn, .yunikornJSON: if enabled[SynthShape.fluentBit.order] { target = .fluentBit }
            case .fluentBit: if enabled[app.format.order] { target = app.format }
            case .yarn: break
            }
            put(line, file: target, kind: .duplicate, time: logTime)
            summaryByShape[target.order] += 1
            counts.duplicateLines += 1
        }
        scratch = line

        if malformedRatio > 0 && random.unit() < malformedRatio { malformed(like: app, logTime: logTime) }
    }

    /// A broken summary of a phantom application (a fresh id, never among the real ones).
    mutating func malformed(like app: SynthApp, logTime: Int64) {
        var phantom = app
        if app.format == .yarn {
            yarnSequence += 1
            phantom.applicationID = DayBuilder.yarnID(yarnTimestamp, yarnSequence)
        } else {
            var id: [UInt8] = Array("spark-".utf8)
            id.appendHex(&random, count: 32)
            phantom.applicationID = String(decoding: id, as: UTF8.self)
        }
        let corruption = Corruption.allCases[random.int(0...(Corruption.allCases.count - 1))]
        if corruption == .finishBeforeStart {
            phantom.finishTime = phantom.startTime - random.int64(1_000...600_000)
        }
        var line = spare
        spare = []
        defer { spare = line }
        line.removeAll(keepingCapacity: true)
        let marks = compose(phantom, corruption: corruption, logTime: logTime, into: &line)
        let shape = app.shape
        if corruption == .truncated {
            if shape == .fluentBit && random.chance(0.5) {
                // The record itself cut off (a partial write), after the marker so it still looks like a summary.
                var record: [UInt8] = []
                Self.wrapFluentBit(line, time: logTime, micros: random.int(0...999_999), pod: podName, node: nodes[0],
                                   into: &record)
                var marker = 0
                while !(record[marker] == 89 && record[marker + 1] == 75 && record[marker + 2] == 95
                        && record[marker + 3] == 65 && record[marker + 4] == 80 && record[marker + 5] == 80) { marker += 1 }
                record.removeSubrange(random.int((marker + 15)...(record.count - 1))...)
                put(record, file: shape, alreadyWrapped: true, kind: .malformed, time: logTime)
                malformedByShape[shape.order] += 1
                return
            }
            line.removeSubrange(random.int(marks.cutLow...marks.cutHigh)...)
        }
        put(line, file: shape, kind: .malformed, time: logTime)
        malformedByShape[shape.order] += 1
    }

    /// Where a truncation may cut a composed line (bytes kept) so that it stays recognisably a summary
    /// yet cannot be read as one.
    struct Marks {
        var cutLow: Int
        var cutHigh: Int
    }

    /// The complete summary line of `app` in its format (without a newline).
    mutating func compose(_ app: SynthApp, corruption: Corruption?, logTime: Int64, into line: inout [UInt8]) -> Marks {
        switch app.format {
        case .yarn: return yarnLine(app, corruption: corruption, logTime: logTime, into: &line)
        case .yunikornJSON:
            zapPrefix(logTime, level: "INFO", logger: "core.scheduler.application.usage",
                      caller: "objects/application.go:1790", into: &line)
            let markerEnd = line.count + 15
            jsonMessage(app, corruption: corruption, into: &line)
            return Marks(cutLow: markerEnd, cutHigh: line.count - 1)
        default:
            zapPrefix(logTime, level: "INFO", logger: "core.scheduler.application.usage",
                      caller: "objects/application_summary.go:60", into: &line)
            let markerEnd = line.count + 15
            modernMessage(app, corruption: corruption, into: &line)
            return Marks(cutLow: markerEnd, cutHigh: line.count - 1)
        }
    }

    /// Appends a line to a file; a Fluent Bit file wraps it in a record unless it already is one.
    mutating func put(_ line: [UInt8], file: SynthShape, alreadyWrapped: Bool = false, kind: SynthLineKind, time: Int64) {
        let index = file.order
        if file == .fluentBit && !alreadyWrapped {
            let micros = random.int(0...999_999)
            Self.wrapFluentBit(line, time: time, micros: micros, pod: podName, node: nodes[0], into: &files[index].bytes)
        } else {
            files[index].bytes.append(contentsOf: line)
        }
        files[index].bytes.append(10)
        files[index].kinds.append(kind)
        if time > files[index].lastTime { files[index].lastTime = time }
    }

    // MARK: - YuniKorn

    /// zap's console encoder: time, level, logger, caller and message joined by tabs.
    func zapPrefix(_ time: Int64, level: StaticString, logger: StaticString, caller: StaticString,
                   into line: inout [UInt8]) {
        line.appendZapTime(time)
        line.append(9); line.append(level)
        line.append(9); line.append(logger)
        line.append(9); line.append(caller)
        line.append(9)
    }

    static let resourceNames: [StaticString] = ["memory", "nvidia.com/gpu", "pods", "vcore"]
    static let nonNumbers: [StaticString] = ["N/A", "NaN", "1.7e12", "-", "soon", ""]
    static let jsonNonNumbers: [StaticString] = ["\"soon\"", "null", "1.7e12", "\"1763604825123\""]

    /// YuniKorn ≥ 1.5: `YK_APP_SUMMARY: {ApplicationID: …}` exactly as `ApplicationSummary.String()` prints it.
    mutating func modernMessage(_ app: SynthApp, corruption: Corruption?, into line: inout [UInt8]) {
        line.append("YK_APP_SUMMARY: {ApplicationID: ")
        line.append(app.applicationID)
        line.append(", SubmissionTime: "); line.appendInt(app.submissionTime)
        line.append(", StartTime: ")
        if corruption == .nonNumericTime { line.append(Self.nonNumbers[random.int(0...5)]) } else { line.appendInt(app.startTime) }
        line.append(", FinishTime: "); line.appendInt(app.finishTime)
        line.append(", User: "); line.append(app.user)
        line.append(", Queue: "); line.append(app.queue)
        line.append(", State: "); line.append(app.state)
        line.append(", RmID: "); line.append(cluster)
        line.append(", ResourceUsage: ")
        // Most clusters run a shim that no longer sends instance types (all UNKNOWN); some older ones do.
        let split = corruption != .negativeUsage && random.chance(0.15)
        tracked(app.usage, split: split, gpu: app.usage.gpu > 0, negate: corruption == .negativeUsage, into: &line)
        line.append(", PreemptedResource: ")
        tracked(app.preempted, split: false, gpu: false, negate: false, into: &line)
        line.append(", PlaceholderResource: ")
        tracked(app.placeholder, split: false, gpu: false, negate: false, into: &line)
        line.append(125)
    }

    /// `TrackedResource{inst:res=n,…}` in random (Go map) order.
    mutating func tracked(_ usage: SynthUsage, split: Bool, gpu: Bool, negate: Bool, into line: inout [UInt8]) {
        line.append("TrackedResource{")
        entries.removeAll(keepingCapacity: true)
        var first = 0, second = 0, share = 1.0
        if split {
            let types = gpu ? Self.gpuInstanceTypes : Self.instanceTypes
            first = 1 + random.int(0...(types.count - 1))
            second = 1 + (first % types.count)
            share = random.uniform(0.2, 0.8)
        }
        for (resource, value) in [usage.memory, usage.gpu, usage.pods, usage.vcore].enumerated() where value != 0 {
            let part = split ? Int64(Double(value) * share) : value
            if part > 0 { entries.append((first, resource, part)) }
            if part < value { entries.append((second, resource, value - part)) }
        }
        random.shuffle(&entries)
        var negated = !negate
        let types = gpu ? Self.gpuInstanceTypes : Self.instanceTypes
        for (index, entry) in entries.enumerated() {
            if index > 0 { line.append(44) }
            if entry.instance == 0 { line.append("UNKNOWN") } else { line.append(types[entry.instance - 1]) }
            line.append(58)
            line.append(Self.resourceNames[entry.resource])
            line.append(61)
            if !negated && entry.resource == 3 {
                line.appendInt(-entry.value)
                negated = true
            } else {
                line.appendInt(entry.value)
            }
        }
        line.append(125)
    }

    /// YuniKorn 1.4: `YK_APP_SUMMARY:` TAB zap's JSON fields; maps as compact `encoding/json` with sorted keys.
    mutating func jsonMessage(_ app: SynthApp, corruption: Corruption?, into line: inout [UInt8]) {
        line.append("YK_APP_SUMMARY:\t{\"appID\": \"")
        line.appendJSONEscaped(app.applicationID)
        line.append("\", \"submissionTime\": "); line.appendInt(app.submissionTime)
        line.append(", \"startTime\": ")
        if corruption == .nonNumericTime {
            line.append(Self.jsonNonNumbers[random.int(0...(Self.jsonNonNumbers.count - 1))])
        } else {
            line.appendInt(app.startTime)
        }
        line.append(", \"finishTime\": "); line.appendInt(app.finishTime)
        line.append(", \"user\": \""); line.appendJSONEscaped(app.user)
        line.append("\", \"queue\": \""); line.appendJSONEscaped(app.queue)
        line.append("\", \"state\": \""); line.append(app.state)
        line.append("\", \"rmID\": \""); line.appendJSONEscaped(cluster)
        line.append("\", \"resourceUsage\": ")
        let split = corruption != .negativeUsage && random.chance(0.15)
        jsonUsage(app.usage, split: split, gpu: app.usage.gpu > 0, negate: corruption == .negativeUsage, into: &line)
        line.append(", \"preemptedResource\": ")
        jsonUsage(app.preempted, split: false, gpu: false, negate: false, into: &line)
        line.append(125)
    }

    /// `{"inst":{"res":n,…},…}`, instance types and resource names in sorted order.
    mutating func jsonUsage(_ usage: SynthUsage, split: Bool, gpu: Bool, negate: Bool, into line: inout [UInt8]) {
        line.append(123)
        if !usage.isZero {
            let values = [usage.memory, usage.gpu, usage.pods, usage.vcore]
            var parts: [(String, [Int64])] = [("UNKNOWN", values)]
            if split {
                let types = gpu ? Self.gpuInstanceTypes : Self.instanceTypes
                let share = random.uniform(0.2, 0.8)
                let firstPart = values.map { Int64(Double($0) * share) }
                parts.append((random.pick(types), zip(values, firstPart).map { $0 - $1 }))
                parts[0].1 = firstPart
            }
            var firstInstance = true
            for (instance, amounts) in parts where amounts.contains(where: { $0 != 0 }) {
                if !firstInstance { line.append(44) }
                firstInstance = false
                line.append(34); line.append(instance); line.append("\":{")
                var firstEntry = true
                for (resource, value) in amounts.enumerated() where value != 0 {
                    if !firstEntry { line.append(44) }
                    firstEntry = false
                    line.append(34); line.append(Self.resourceNames[resource]); line.append("\":")
                    line.appendInt(negate && resource == 3 ? -value : value)
                }
                line.append(125)
            }
        }
        line.append(125)
    }

    // MARK: - Fluent Bit

    /// A Fluent Bit `json_lines` record: the original line (with its newline) in `log`, plus the
    /// Kubernetes metadata its filter adds.
    static func wrapFluentBit(_ inner: [UInt8], time: Int64, micros: Int, pod: [UInt8], node: [UInt8],
                              into out: inout [UInt8]) {
        out.append("{\"date\":")
        out.appendInt(time.floorDiv(1000)); out.append(46)
        out.appendPadded(Int(time - time.floorDiv(1000) * 1000), width: 3)
        out.append(",\"log\":\"")
        out.appendJSONEscaped(inner)
        out.append("\\n\",\"stream\":\"stdout\",\"time\":\"")
        out.appendZapTime(time)
        out.removeLast()
        out.appendPadded(micros, width: 6)
        out.append("Z\",\"kubernetes\":{\"pod_name\":\"")
        out.append(contentsOf: pod)
        out.append("\",\"namespace_name\":\"yunikorn\",\"container_name\":\"yunikorn-scheduler-k8s\",\"host\":\"")
        out.append(contentsOf: node)
        out.append("\"}}")
    }

    // MARK: - YARN

    /// `ApplicationSummary` as `RMAppManager.logAppSummary` prints it through log4j (`%d{ISO8601} %p %c{2}: %m`).
    mutating func yarnLine(_ app: SynthApp, corruption: Corruption?, logTime: Int64, into line: inout [UInt8]) -> Marks {
        line.appendLog4jTime(logTime)
        line.append(" INFO resourcemanager.RMAppManager$ApplicationSummary: appId=")
        let idStart = line.count
        line.append(app.applicationID)
        line.append(",name="); line.appendYARNEscaped(app.name)
        line.append(",user="); line.appendYARNEscaped(app.user)
        line.append(",queue="); line.appendYARNEscaped(app.queue)
        line.append(",state="); line.append(app.state)
        line.append(",trackingUrl=http://rm-"); line.append(cluster); line.append(".internal:8088/proxy/")
        line.append(app.applicationID); line.append("/,appMasterHost=")
        line.append(contentsOf: nodes[random.int(0...(nodes.count - 1))])
        line.append(",submitTime="); line.appendInt(app.submissionTime)
        line.append(",startTime=")
        if corruption == .nonNumericTime { line.append(Self.nonNumbers[random.int(0...5)]) } else { line.appendInt(app.startTime) }
        if modernYARN { line.append(",launchTime="); line.appendInt(app.startTime + random.int64(300...4_000)) }
        line.append(",finishTime="); line.appendInt(app.finishTime)
        line.append(",finalStatus=")
        switch app.state {
        case "FINISHED": line.append("SUCCEEDED")
        case "KILLED": line.append("KILLED")
        default: line.append("FAILED")
        }
        let memoryMBs = app.usage.memory >> 20, vcoreSeconds = app.usage.vcore / 1000
        let preemptedMBs = app.preempted.memory >> 20, preemptedVcores = app.preempted.vcore / 1000
        line.append(",memorySeconds="); line.appendInt(corruption == .negativeUsage ? -memoryMBs : memoryMBs)
        let vcoreKey = line.count
        line.append(",vcoreSeconds="); line.appendInt(vcoreSeconds)
        line.append(",preemptedMemorySeconds="); line.appendInt(preemptedMBs)
        line.append(",preemptedVcoreSeconds="); line.appendInt(preemptedVcores)
        line.append(",preemptedAMContainers=0,preemptedNonAMContainers=")
        line.appendInt(app.preempted.isZero ? 0 : random.int(1...3))
        line.append(",preemptedResources=<memory:0\\, vCores:0>,applicationType=SPARK,resourceSeconds=")
        line.appendInt(memoryMBs); line.append(" MB-seconds\\, "); line.appendInt(vcoreSeconds)
        line.append(" vcore-seconds,preemptedResourceSeconds=")
        line.appendInt(preemptedMBs); line.append(" MB-seconds\\, "); line.appendInt(preemptedVcores)
        line.append(" vcore-seconds")
        if modernYARN {
            line.append(",applicationTags=spark-origin:bursar,applicationNodeLabel=,diagnostics=")
            if !app.succeeded {
                line.append("Application ")
                line.append(app.applicationID)
                line.append(" failed 1 times due to AM Container exited with  exitCode: 1\\, see logs")
            }
            line.append(",totalAllocatedContainers=")
            line.appendInt(random.int(2...200))
        }
        return Marks(cutLow: idStart + 1, cutHigh: vcoreKey)
    }

    // MARK: - Chatter

    /// `count` non-summary lines into the app's file, spread between the file's last line and `until`.
    mutating func chatter(count: Int, shape: SynthShape, app: SynthApp, until: Int64) {
        let index = shape.order
        let from = files[index].lastTime
        let span = max(until - from, 0)
        var line = noiseLine
        noiseLine = []
        for step in 0..<count {
            let time = from + Int64(Double(span) * (Double(step) + random.unit()) / Double(count))
            line.removeAll(keepingCapacity: true)
            if app.format == .yarn {
                yarnNoise(app, time: time, into: &line)
            } else {
                zapNoise(app, time: time, into: &line)
            }
            put(line, file: shape, kind: .noise, time: time)
        }
        noiseLine = line
        counts.noiseLines += count
    }

    /// Other lines the scheduler and the shim log around an application's end.
    mutating func zapNoise(_ app: SynthApp, time: Int64, into line: inout [UInt8]) {
        switch random.weighted([0.2, 0.1, 0.2, 0.25, 0.15, 0.1]) {
        case 0:
            zapPrefix(time, level: "INFO", logger: "core.scheduler.application", caller: "objects/application_state.go:160", into: &line)
            line.append("Application state transition\t{\"appID\": \"")
            line.append(app.applicationID)
            line.append("\", \"source\": \"Running\", \"destination\": \"Completing\", \"event\": \"completeApplication\"}")
        case 1:
            zapPrefix(time, level: "INFO", logger: "core.scheduler.partition", caller: "scheduler/partition.go:1395", into: &line)
            line.append("removing terminated application from the queue\t{\"appID\": \"")
            line.append(app.applicationID)
            line.append("\", \"queue\": \""); line.append(app.queue); line.append("\"}")
        case 2:
            zapPrefix(time, level: "DEBUG", logger: "core.scheduler", caller: "scheduler/scheduler.go:106", into: &line)
            line.append("inspect outstanding requests")
        case 3:
            zapPrefix(time, level: "INFO", logger: "shim.cache.task", caller: "cache/task.go:544", into: &line)
            line.append("task state is changed\t{\"app\": \"")
            line.append(app.applicationID)
            line.append("\", \"task\": \""); line.appendUUID(&random)
            line.append("\", \"taskAlias\": \"spark-jobs/")
            line.append(app.applicationID); line.append("-exec-"); line.appendInt(random.int(1...64))
            line.append("\", \"source\": \"Bound\", \"destination\": \"Completed\"}")
        case 4:
            zapPrefix(time, level: "INFO", logger: "core.scheduler.allocation", caller: "objects/application.go:1254", into: &line)
            line.append("scheduler allocation processed\t{\"appID\": \"")
            line.append(app.applicationID)
            line.append("\", \"allocationKey\": \""); line.appendUUID(&random)
            line.append("\", \"allocatedResource\": \"map[memory:")
            line.appendInt(Int64(random.pick([2, 4, 8, 16])) << 30)
            line.append(" pods:1 vcore:"); line.appendInt(random.pick([1000, 2000, 4000]))
            line.append("]\", \"placeholder\": false, \"targetNode\": \"")
            line.append(contentsOf: nodes[random.int(0...(nodes.count - 1))])
            line.append("\"}")
        default:
            zapPrefix(time, level: "DEBUG", logger: "core.scheduler.health", caller: "scheduler/health_checker.go:180", into: &line)
            line.append("Scheduler is healthy\t{\"health check values\": [{\"Name\":\"Scheduling errors\",\"Succeeded\":true,")
            line.append("\"Description\":\"Check for scheduling error entries in metrics\",")
            line.append("\"DiagnosisMessage\":\"There were 0 scheduling errors logged in the metrics\"}]}")
        }
    }

    /// Other ResourceManager lines about the same application (the file was shipped whole).
    mutating func yarnNoise(_ app: SynthApp, time: Int64, into line: inout [UInt8]) {
        line.appendLog4jTime(time)
        switch random.int(0...2) {
        case 0:
            line.append(" INFO org.apache.hadoop.yarn.server.resourcemanager.rmapp.RMAppImpl: ")
            line.append(app.applicationID)
            line.append(" State change from RUNNING to FINAL_SAVING on event = ATTEMPT_UNREGISTERED")
        case 1:
            line.append(" INFO org.apache.hadoop.yarn.server.resourcemanager.RMAuditLogger: USER=")
            line.append(app.user)
            line.append("\tOPERATION=Application Finished - Succeeded\tTARGET=RMAppManager\tRESULT=SUCCESS\tAPPID=")
            line.append(app.applicationID)
        default:
            line.append(" INFO org.apache.hadoop.yarn.server.resourcemanager.scheduler.capacity.CapacityScheduler: ")
            line.append("Application Attempt appattempt")
            line.append(contentsOf: app.applicationID.utf8.dropFirst(11))
            line.append("_000001 is done. finalState=FINISHED")
        }
    }

    /// Per-shape counts into `counts`.
    mutating func finishCounts() {
        for shape in SynthShape.allCases where enabled[shape.order] {
            counts.summaryLines[shape, default: 0] += summaryByShape[shape.order]
            counts.malformedLines[shape, default: 0] += malformedByShape[shape.order]
        }
        for file in files {
            counts.lines += file.kinds.count
            counts.bytes += file.bytes.count
        }
    }
}
