import Foundation
import Gzip
import InsightStore
import Store
import Synth
import Testing

/// `bursar ingest` on mutated input no one wrote by hand: lines of every shape (from `bursar synth`) with bytes
/// flipped, cut, repeated, numbers replaced by implausible ones, hundreds of resource names, long fields, deep
/// nesting, NULs, lines of megabytes, gzip whole and cut; and mutated mapping files. Every round must end, inside
/// a memory limit the kernel enforces and a generous watchdog, with every line a stored application, a duplicate,
/// a skipped line or a reject (the counts add up and match the store), or a clear error naming the source.
///
/// The seed is fixed, so a failing round is reproduced by its number; the budget bounds how many rounds run.
@Suite("Ingest fuzz")
struct IngestFuzzTests {
    let cli = ValidateCommandTests()

    static let seed: UInt64 = 20_261_205
    /// Rounds stop when this much time has been spent (after at least `minimumRounds`).
    static let budget: Duration = .seconds(40)
    static let minimumRounds = 4
    static let maximumRounds = 40
    static let linesPerRound = 1_500
    /// The address-space limit of each `bursar ingest` (prlimit --as): well above what a round needs, far
    /// below what a line that made the ingester hold a log whole or spread usage over centuries would take.
    static let memoryLimit = 3 << 30
    /// A round that has not ended by then has hung.
    static let watchdog: TimeInterval = 300

    struct Totals {
        var rounds = 0, lines = 0, summaries = 0, newApps = 0, duplicates = 0, skipped = 0, rejects = 0
        var sourceErrors = 0, mappingErrors = 0
    }

    @Test func mutatedLogsAndMappingsEndAsRowsRejectsOrClearErrors() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("bursar-fuzz-\(UUID().uuidString)")
        let synth = try cli.run(["synth", base.path, "--days", "2", "--lines", "1200", "--clusters", "moka-a,moka-b",
                                 "--seed", "5", "--malformed-ratio", "0.01"])
        try #require(synth.status == 0, "\(synth.stderr)")
        let corpus = try Self.corpus(in: base)
        try #require(corpus.count > 1_000)
        let mappings = try Self.mappingTexts(in: base.appendingPathComponent("mappings"))
        try #require(mappings.count == 4)

        var totals = Totals()
        let started = ContinuousClock.now
        while totals.rounds < Self.maximumRounds
            && (totals.rounds < Self.minimumRounds || ContinuousClock.now - started < Self.budget) {
            try round(totals.rounds, corpus: corpus, mappings: mappings, under: base, totals: &totals)
            totals.rounds += 1
        }
        let elapsed = ContinuousClock.now - started
        print("ingest fuzz: seed \(Self.seed), \(totals.rounds) rounds in \(elapsed) (budget \(Self.budget)), "
              + "\(totals.lines) lines: \(totals.summaries) summaries (\(totals.newApps) new, \(totals.duplicates) duplicates), "
              + "\(totals.skipped) skipped, \(totals.rejects) rejects; \(totals.sourceErrors) source errors, "
              + "\(totals.mappingErrors) mapping rows refused; memory limit \(Self.memoryLimit >> 20) MiB")
        #expect(totals.rounds >= Self.minimumRounds)
        // The mutations must reach every outcome, or the test proves less than it claims.
        #expect(totals.newApps > 0 && totals.duplicates > 0 && totals.skipped > 0 && totals.rejects > 0)
        #expect(totals.sourceErrors > 0 && totals.mappingErrors > 0)
        try? FileManager.default.removeItem(at: base)
    }

    private func round(_ number: Int, corpus: [[UInt8]], mappings: [String: [UInt8]], under base: URL,
                       totals: inout Totals) throws {
        var random = SynthRandom(seed: Self.seed, stream: UInt64(number))
        let folder = base.appendingPathComponent("round-\(number)")
        let logs = folder.appendingPathComponent("logs/moka-a")
        let maps = folder.appendingPathComponent("mappings")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: maps, withIntermediateDirectories: true)

        var expectedLines = 0
        var text: [UInt8] = []
        for _ in 0..<Self.linesPerRound {
            var line = random.pick(corpus)
            if random.chance(0.6) {
                for _ in 0..<random.int(1...3) { Self.mutate(&line, &random) }
            }
            text += line
            text.append(10)
        }
        expectedLines += text.count { $0 == 10 }
        try Data(text).write(to: logs.appendingPathComponent("fuzz.log"))

        // Every other round, a gzip log; every third, one cut short (an error for that source, the rest read).
        var cutGzip = false
        if number % 2 == 1 {
            var second: [UInt8] = []
            for _ in 0..<300 {
                var line = random.pick(corpus)
                if random.chance(0.5) { Self.mutate(&line, &random) }
                second += line
                second.append(10)
            }
            var packed = try Gzip.compress(second)
            if number % 3 == 0 {
                packed = Array(packed.prefix(random.int(10...(packed.count - 10))))
                cutGzip = true
            } else {
                expectedLines += second.count { $0 == 10 }
            }
            try Data(packed).write(to: logs.appendingPathComponent("fuzz.log.gz"))
        }
        // A binary file given by mistake, now and then.
        if number % 5 == 2 {
            try Data([0x50, 0x4B, 3, 4, 0, 0, 0, 1] + Array(repeating: 0, count: 100)).write(to: logs.appendingPathComponent("archive.log"))
        }

        for (name, content) in mappings {
            var bytes = content
            if random.chance(0.7) { Self.mutateCSV(&bytes, &random) }
            try Data(bytes).write(to: maps.appendingPathComponent(name))
        }

        let store = folder.appendingPathComponent("store.sqlite").path
        let run = try runBounded(["ingest", folder.appendingPathComponent("logs").path, "--mappings", maps.path,
                                  "--store", "sqlite:" + store, "--format", "json"])
        let context = "round \(number) (seed \(Self.seed)); folder \(folder.path)"
        try #require(run.status == 0 || run.status == 2, "\(context): exit \(run.status)\n\(run.stderr.suffix(2_000))")
        let errorLines = run.stderr.split(separator: "\n").filter { $0.hasPrefix("bursar: ") && !$0.hasPrefix("bursar: mappings:") }
        if run.status == 2 {
            #expect(!errorLines.isEmpty, "\(context): exit 2 without saying why")
        }
        // A clear error names the file it is about.
        for line in errorLines {
            #expect(line.contains(folder.path), "\(context): an error that names no file: \(line)")
        }
        let mappingProblems = run.stderr.split(separator: "\n").filter { $0.hasPrefix("bursar: mappings:") }
        for line in mappingProblems {
            #expect(line.contains(".csv:"), "\(context): a mapping problem that names no file and line: \(line)")
        }

        let counts = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any],
                                  "\(context): no JSON report: \(run.stdout.prefix(500))")
        func count(_ key: String) -> Int { counts[key] as? Int ?? -1 }
        let (lines, summaries, skipped, rejects) = (count("lines"), count("summaries"), count("skipped"), count("rejects"))
        let (newApps, duplicates) = (count("new_apps"), count("duplicates"))
        #expect(lines == summaries + skipped + rejects, "\(context): \(counts)")
        #expect(summaries == newApps + duplicates, "\(context): \(counts)")
        if cutGzip {
            #expect(lines >= expectedLines, "\(context): \(counts)")
            #expect(run.stderr.contains("fuzz.log.gz"), "\(context): the cut gzip was not reported")
        } else {
            #expect(lines == expectedLines, "\(context): \(counts)")
        }
        // The store holds what the report says.
        let insights = try InsightStore(.sqlite(path: store))
        let digest = try insights.digest()
        #expect(digest["apps"]?.count == newApps, "\(context)")
        #expect(digest["rejects"]?.count == rejects, "\(context)")

        totals.lines += lines
        totals.summaries += summaries
        totals.newApps += newApps
        totals.duplicates += duplicates
        totals.skipped += skipped
        totals.rejects += rejects
        totals.sourceErrors += errorLines.count
        totals.mappingErrors += mappingProblems.count
        try? FileManager.default.removeItem(at: folder)
    }

    /// Runs bursar under `prlimit --as` (a memory bound the kernel enforces) and a watchdog that kills a run
    /// that has not ended (a hang, not slowness: the limit is minutes for a round of seconds).
    private func runBounded(_ arguments: [String]) throws -> ValidateCommandTests.Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
        process.arguments = ["--as=\(Self.memoryLimit)", "--", ValidateCommandTests.binary.path] + arguments
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-out-\(UUID().uuidString)")
        let err = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.environment = ProcessInfo.processInfo.environment.merging(["SWIFT_BACKTRACE": "enable=no"]) { _, new in new }
        try process.run()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            process.waitUntilExit()
            done.signal()
        }
        if done.wait(timeout: .now() + Self.watchdog) == .timedOut {
            process.terminate()
            kill(process.processIdentifier, SIGKILL)
            done.wait()
            Issue.record("bursar \(arguments.joined(separator: " ")) did not end within \(Int(Self.watchdog)) s: it hung")
        }
        let stdout = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        if process.terminationReason == .uncaughtSignal {
            Issue.record("bursar was killed by signal \(process.terminationStatus) (a crash, or the \(Self.memoryLimit >> 20) MiB memory limit):\n\(stderr.suffix(3_000))")
        }
        return ValidateCommandTests.Run(status: process.terminationStatus, stdout: stdout, stderr: stderr)
    }

    /// Every line of the synthetic history: all shapes, noise and the generator's own malformed lines.
    static func corpus(in base: URL) throws -> [[UInt8]] {
        var lines: [[UInt8]] = []
        for folder in ["logs", "yarn"] {
            let root = base.appendingPathComponent(folder)
            guard let walker = FileManager.default.enumerator(atPath: root.path) else { continue }
            while let relative = walker.nextObject() as? String {
                guard relative.hasSuffix(".log") else { continue }
                let data = try Data(contentsOf: root.appendingPathComponent(relative))
                lines += data.split(separator: 10).map { Array($0) }
            }
        }
        return lines
    }

    static func mappingTexts(in folder: URL) throws -> [String: [UInt8]] {
        var texts: [String: [UInt8]] = [:]
        for name in ["workflows.csv", "projects.csv", "owners.csv", "job_apps.csv"] {
            texts[name] = Array(try Data(contentsOf: folder.appendingPathComponent(name)))
        }
        return texts
    }

    /// Values a corrupted or hostile summary may hold in place of a number.
    static let hostileNumbers = ["9000000000000000", "0", "-1", "99999999999999999999", "1e3", "0x1F", "9223372036854775807",
                                 "4102444800000", "946684799999", ""]
    static let hostileBytes: [UInt8] = [0, 0xFF, 0xC3, 13, 9, 123, 125, 91, 93, 34, 92, 44, 61, 58, 32]

    static func mutate(_ line: inout [UInt8], _ random: inout SynthRandom) {
        let position = line.isEmpty ? 0 : random.int(0...(line.count - 1))
        switch random.int(0...11) {
        case 0:  // a number replaced by an implausible one
            guard let digit = line.indices.dropFirst(position).first(where: { (48...57).contains(line[$0]) }) else { return }
            var end = digit
            while end < line.count && (48...57).contains(line[end]) { end += 1 }
            line.replaceSubrange(digit..<end, with: Array(random.pick(hostileNumbers).utf8))
        case 1:  // a byte flipped to one that matters to a parser
            guard !line.isEmpty else { return }
            line[position] = random.pick(hostileBytes)
        case 2:  // a piece deleted
            guard !line.isEmpty else { return }
            line.removeSubrange(position..<min(line.count, position + random.int(1...80)))
        case 3:  // a piece repeated
            let piece = Array(line[position..<min(line.count, position + random.int(1...120))])
            line.insert(contentsOf: piece, at: position)
        case 4:  // cut short
            line.removeSubrange(position...)
        case 5:  // hundreds of resource names
            let entries = (0..<random.int(30...400)).map { "UNKNOWN:r\($0).example/gpu=\($0)" }.joined(separator: ",") + ","
            if let tracked = find(Array("TrackedResource{".utf8), in: line) {
                line.insert(contentsOf: Array(entries.utf8), at: tracked + 16)
            } else if let usage = find(Array("\"resourceUsage\": {\"".utf8), in: line) {
                let json = (0..<random.int(30...400)).map { "\"UNKNOWN\(random.int(0...3))\": {\"r\($0)\": 1}" }.joined(separator: ", ") + ", "
                line.insert(contentsOf: Array(json.utf8), at: usage + 18)
            } else {
                line.insert(contentsOf: Array(entries.utf8), at: position)
            }
        case 6:  // a long field
            line.insert(contentsOf: repeatElement(UInt8(120), count: random.int(200...60_000)), at: position)
        case 7:  // deep nesting
            let depth = random.int(20...2_000)
            line.insert(contentsOf: Array(repeating: UInt8(91), count: depth) + Array(repeating: UInt8(93), count: depth), at: position)
        case 8:  // a line of megabytes, with a summary marker in it
            guard random.chance(0.05) else { return }
            line += Array(" YK_APP_SUMMARY: {".utf8) + Array(repeating: UInt8(65), count: random.int((1 << 20)...(3 << 20)))
        case 9:  // invalid UTF-8 and escapes
            line.insert(contentsOf: [0xC3, 0x28, 0x5C, 0x75, 0x44, 0x38, 0x30, 0x30, 0xED, 0xA0, 0x80], at: position)
        case 10:  // a line break in the middle: two lines
            line.insert(10, at: position)
        default:  // a field separator or key repeated
            let separators = [", ", ", FinishTime: ", ",startTime=", "\": ", "YK_APP_SUMMARY: ", "\"log\":\""]
            line.insert(contentsOf: Array(random.pick(separators).utf8), at: position)
        }
    }

    static func mutateCSV(_ text: inout [UInt8], _ random: inout SynthRandom) {
        var rows = text.split(separator: 10, omittingEmptySubsequences: false).map { Array($0) }
        for _ in 0..<random.int(1...4) {
            let index = random.int(0...(rows.count - 1))
            switch random.int(0...7) {
            case 0: rows[index] = Array("\"unterminated,quote".utf8) + rows[index]
            case 1: rows[index] += Array(",extra,columns,\"x\"\"y\"".utf8)
            case 2: rows[index] = Array(rows[index].prefix(random.int(0...max(0, rows[index].count))))
            case 3: rows.insert(rows[index].map { $0 == 44 ? 44 : ($0 == 49 ? 57 : $0) }, at: index)  // a conflicting copy
            case 4: rows[index] = [0xEF, 0xBB, 0xBF] + rows[index] + [13]
            case 5: rows[index] += Array(repeating: UInt8(122), count: random.int(1...20_000))
            case 6: rows[index] = Array("ok,p,1,60,2026-13-45T99:99:99Z,\u{0}".utf8)
            default: if !rows[index].isEmpty { rows[index][random.int(0...(rows[index].count - 1))] = random.pick(hostileBytes) }
            }
        }
        text = Array(rows.joined(separator: [10]))
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if Array(haystack[start..<(start + needle.count)]) == needle { return start }
        }
        return nil
    }
}
