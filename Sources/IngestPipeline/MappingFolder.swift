public import Ingest
import Foundation
import Parallel

/// A folder of mapping files (workflows.csv, projects.csv, owners.csv, job_apps.csv) read into `Mappings`,
/// job_apps.csv in parallel pieces.
public enum MappingFolder {
    /// The largest mapping file read (job_apps.csv of ten million applications is about 1 GiB).
    public static let mappingFileBytes = 4 << 30

    /// Reads whichever mapping files the folder has; `unreadable` says why none of them was applied.
    public static func read(_ folder: String)
        -> (Mappings, Set<MappingFile>, [MappingProblem], unreadable: String?)
    {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            return (Mappings(), [], [], "--mappings \(folder): no such folder")
        }
        var mappings = Mappings()
        var present: Set<MappingFile> = []
        var problems: [MappingProblem] = []
        for file in MappingFile.allCases {
            let path = (folder as NSString).appendingPathComponent(file.rawValue)
            guard FileManager.default.fileExists(atPath: path) else { continue }
            // A mapping file is read whole: one larger than any real platform's is refused, not read.
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            guard size <= mappingFileBytes else {
                // None of the folder's files is applied: a half-read set of mappings would re-attribute.
                return (Mappings(), [], problems,
                        "\(path): \(size) bytes is over the \(mappingFileBytes >> 30) GiB a mapping file may have; split the history or keep job_apps in the store (the router writes it there); no mapping file of the folder was applied")
            }
            guard let data = FileManager.default.contents(atPath: path) else {
                return (Mappings(), [], problems, "\(path): cannot be read; check its permissions (no mapping file of the folder was applied)")
            }
            let bytes = [UInt8](data)
            guard let text = String(validating: bytes, as: UTF8.self) else {
                problems.append(MappingProblem(file: path, line: 0, message: "not UTF-8 text; save it as UTF-8"))
                continue
            }
            present.insert(file)
            // job_apps.csv runs to a row per application: read it in pieces, one per core.
            if file == .jobApps, let loaded = Self.readInPieces(bytes, file: file, path: path, into: mappings) {
                mappings = loaded.mappings
                problems += loaded.problems
                continue
            }
            problems += mappings.load(file, text: text, fileName: path)
        }
        if present.isEmpty {
            return (mappings, [], problems,
                    "--mappings \(folder): none of workflows.csv, projects.csv, owners.csv, job_apps.csv is there")
        }
        return (mappings, present, problems, nil)
    }

    /// `file` read in parallel pieces on top of `mappings`; nil when it cannot be cut into pieces, or when an
    /// application repeats across pieces (a serial read then names the repeat's line).
    static func readInPieces(_ bytes: [UInt8], file: MappingFile, path: String, into mappings: Mappings)
        -> (mappings: Mappings, problems: [MappingProblem])?
    {
        let parts = ProcessInfo.processInfo.activeProcessorCount
        guard let pieces = Mappings.pieces(of: bytes, parts: parts) else { return nil }
        let read = Concurrent.map(pieces.indices.map { $0 }) { index in
            var piece = Mappings()
            let problems = piece.load(file, text: pieces[index].text, fileName: path, lineOffset: pieces[index].lineOffset)
            return (piece, problems)
        }
        guard let joined = mappings.addingJobApps(of: read.map(\.0)) else { return nil }
        return (joined, read.flatMap(\.1))
    }
}
