import Synth
import ArgumentParser
import Foundation
import QueueConfig

/// `bursar bench`: benchmarks that print their inputs, the machine and the figures. They never
/// fail on time; targets are judged by whoever reads the figures.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a benchmark and print its inputs and figures.",
        subcommands: [BenchValidate.self, BenchAllocate.self, BenchRoute.self, BenchJournal.self, BenchPipelines.self,
                      BenchSchedulerSetup.self, BenchSchedulerFigures.self, BenchFleet.self, BenchExportFloor.self]
    )
}

/// Validates a generated configuration of N queues, end to end from text: parse, check, checksum.
struct BenchValidate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Time validating a generated queues.yaml of --queues queues (4 levels, one partition)."
    )

    @Option(help: "How many queues to generate.")
    var queues = 10_000

    @Option(help: "How many timed runs (after one warm-up).")
    var runs = 10

    @Option(help: "Also write the generated file here, to time `bursar validate FILE` as a process.")
    var write: String?

    func run() throws {
        let config = SyntheticQueues.orgTree(queueCount: queues)
        let text = Emitter.yaml(config)
        if let write {
            try text.write(toFile: write, atomically: true, encoding: .utf8)
        }
        BenchMachine.print()
        print("input: \(SyntheticQueues.count(config)) queues in 4 levels, 1 partition, \(text.utf8.count) bytes of YAML")

        var totalTimes: [Double] = [], decodeTimes: [Double] = [], checkTimes: [Double] = [], hashTimes: [Double] = []
        var verdict = ""
        func milliseconds(_ body: () -> Void) -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        }
        for run in 0...runs {
            // End to end, as `bursar validate` runs it: read, check, checksum (on the other core).
            var result: ValidationResult?
            let total = milliseconds { result = Validator.validate(text: text) }
            verdict = result!.isValid ? "valid, \(result!.problems.count) problems" : "INVALID: \(result!.yunikornError ?? "")"
            // The parts on their own, one core each.
            var decoded: DecodedConfig?
            let decode = milliseconds { decoded = StrictDecoder.decode(text) }
            let check = milliseconds { _ = Validator.validate(decoded!.config!, sourceMap: decoded!.sourceMap) }
            let hash = milliseconds { _ = Checksum.yunikorn(of: text) }
            guard run > 0 else { continue }
            totalTimes.append(total)
            decodeTimes.append(decode)
            checkTimes.append(check)
            hashTimes.append(hash)
        }
        print("verdict: \(verdict)")
        func summary(_ name: String, _ values: [Double]) {
            let sorted = values.sorted()
            print(String(format: "%@: median %.1f ms, min %.1f ms, max %.1f ms over %d runs", name,
                         sorted[sorted.count / 2], sorted.first!, sorted.last!, sorted.count))
        }
        summary("end to end (Validator.validate(text:))", totalTimes)
        summary("  part: YAML read + strict decode", decodeTimes)
        summary("  part: YuniKorn rules + warnings", checkTimes)
        summary("  part: checksum (SHA-256, overlapped in the end-to-end run)", hashTimes)
    }
}

/// The two lines every benchmark starts with: the machine, and whether the build's figures mean anything.
enum BenchMachine {
    #if DEBUG
    static let build = "debug (figures are meaningless; use swift build -c release)"
    #else
    static let build = "release"
    #endif

    static func print() {
        let info = ProcessInfo.processInfo
        Swift.print("machine: \(info.activeProcessorCount) cores, \(info.physicalMemory >> 30) GiB, \(info.operatingSystemVersionString)")
        Swift.print("build: \(build)")
    }
}
