import Foundation
import SafeFiles
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The edge of Synth: writes a generated history into a folder.
///
/// Layout under the folder:
/// - `logs/<cluster>/yunikorn-DAY.log`, `logs/<cluster>/yunikorn-1.4-DAY.log`, `logs/<cluster>/fluentbit-DAY.log`,
///   `yarn/<cluster>/rm-appsummary-DAY.log` (each `.log.gz` when compressed; a file with no lines is not written),
/// - `mappings/workflows.csv`, `projects.csv`, `owners.csv`, `job_apps.csv`,
/// - `manifest.json`, the truth (counts, per-queue usage, files), written last.
///
/// Synth cannot link zlib (its target has no dependencies), so compression is the caller's closure,
/// e.g. `{ try Gzip.compress($0) }`. Every file is written to a temporary name and renamed into place;
/// other files already in the folder are left alone.
public enum SynthWriter {
    /// Generates the history of `options` and writes it under `directory` (created if missing).
    /// Days are generated in parallel, one per core; `progress` is called once per finished day (from any thread).
    public static func write(_ options: SynthOptions, to directory: String,
                             compressor: (@Sendable ([UInt8]) throws -> [UInt8])? = nil,
                             progress: (@Sendable (SynthDate) -> Void)? = nil) throws -> SynthManifest {
        if options.compress && compressor == nil {
            throw SynthError("compressed output was asked for but no compressor was given")
        }
        let generator = try SynthGenerator(options: options)
        try makeDirectory(directory)

        let results = DayResults(count: generator.dayCount)
        DispatchQueue.concurrentPerform(iterations: generator.dayCount) { index in
            do {
                let day = generator.day(index)
                var written: [SynthManifest.File] = []
                for file in day.files {
                    let stored = file.compress ? try compressor!(file.bytes) : file.bytes
                    try writeAtomically(stored, to: directory + "/" + file.relativePath)
                    written.append(SynthManifest.File(relativePath: file.relativePath, lines: file.lineKinds.count,
                                                      bytes: file.bytes.count, storedBytes: stored.count))
                }
                // Keep only what the manifest needs; the day's bytes are released here.
                var slim = day
                slim.files = []
                results.store(index, day: slim, files: written)
                progress?(day.date)
            } catch {
                results.fail(error)
            }
        }
        if let error = results.error { throw error }

        var manifest = SynthManifest(generator: generator)
        var jobApps = SynthGenerator.jobAppsHeader
        for (day, files) in results.days {
            guard let day else { continue }
            manifest.add(day)
            manifest.files.append(contentsOf: files)
            jobApps.append(contentsOf: day.jobAppsRows)
        }
        var mappings = generator.world.mappingFiles()
        mappings.append(SynthFile(relativePath: "mappings/job_apps.csv", bytes: jobApps, compress: false))
        for file in mappings {
            try writeAtomically(file.bytes, to: directory + "/" + file.relativePath)
            manifest.files.append(SynthManifest.File(relativePath: file.relativePath,
                                                     lines: file.bytes.reduce(0) { $0 + ($1 == 10 ? 1 : 0) },
                                                     bytes: file.bytes.count, storedBytes: file.bytes.count))
        }
        try writeAtomically(Array(manifest.json().utf8), to: directory + "/manifest.json")
        return manifest
    }

    /// Results of the parallel days, guarded by a lock.
    private final class DayResults: @unchecked Sendable {
        private let lock = NSLock()
        private var slots: [(SynthDay?, [SynthManifest.File])]
        private var firstError: (any Error)?

        init(count: Int) { slots = Array(repeating: (nil, []), count: count) }

        func store(_ index: Int, day: SynthDay, files: [SynthManifest.File]) {
            lock.lock(); defer { lock.unlock() }
            slots[index] = (day, files)
        }

        func fail(_ error: any Error) {
            lock.lock(); defer { lock.unlock() }
            if firstError == nil { firstError = error }
        }

        var error: (any Error)? { lock.lock(); defer { lock.unlock() }; return firstError }
        var days: [(SynthDay?, [SynthManifest.File])] { lock.lock(); defer { lock.unlock() }; return slots }
    }

    static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw SynthError("cannot create folder \(path): \(error.localizedDescription)")
        }
    }

    /// Writes beside the target, then renames: readers never see half a file (not synced: a sample can be
    /// generated again).
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let slash = path.lastIndex(of: "/")
        try makeDirectory(slash.map { String(path[..<$0]) } ?? ".")
        do {
            try DurableFiles.replace(path, with: bytes, mode: 0o644, synced: false)
        } catch {
            throw SynthError("\(error)")
        }
    }
}
