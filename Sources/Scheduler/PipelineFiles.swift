import Foundation
import Parallel
public import Diagnostics
public import Workflows

/// Reading definition files and the SparkApplication files beside them: the edge of `pipelines validate`
/// and the scheduler.
public enum PipelineFiles {
    /// The largest definition or spark file read.
    public static let sizeLimit = 4 << 20

    /// The definitions under `paths` (sorted, so problems come in a stable order) and the paths that could not be read.
    public static func read(_ paths: [String]) -> ([PipelineSource], [SourceProblem]) {
        var files: [String] = []
        var problems: [SourceProblem] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                problems.append(SourceProblem(file: path, line: 0, message: "no such file or folder; check the path"))
                continue
            }
            if isDirectory.boolValue {
                let enumerator = FileManager.default.enumerator(atPath: path)
                var found: [String] = []
                while let relative = enumerator?.nextObject() as? String {
                    guard relative.hasSuffix(".yaml") || relative.hasSuffix(".yml") else { continue }
                    found.append((path as NSString).appendingPathComponent(relative))
                }
                files += found.sorted()
            } else {
                files.append(path)
            }
        }
        var sources: [PipelineSource] = []
        sources.reserveCapacity(files.count)
        // Read over the cores: thousands of files, each turned into checked UTF-8 text.
        let texts = Concurrent.map(files) { file in text(file) }
        for (file, read) in zip(files, texts) {
            switch read {
            case .success(let text):
                // A SparkApplication beside the definitions is read through the definition that names it.
                if !isDefinition(text) && looksLikeKubernetesObject(text) { continue }
                sources.append(PipelineSource(file: file, text: text))
            case .failure(let problem):
                problems.append(problem)
            }
        }
        return (sources, problems)
    }

    /// What changes when any file under `folder` does: each path with its size and modification time, sorted.
    public static func fingerprint(_ folder: String) -> [String] {
        var entries: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: folder)
        while let relative = enumerator?.nextObject() as? String {
            let path = (folder as NSString).appendingPathComponent(relative)
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            let size = (attributes[.size] as? NSNumber)?.int64Value ?? -1
            let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            entries.append("\(relative)\u{0}\(size)\u{0}\(modified)")
        }
        return entries.sorted()
    }

    /// A spark file named by `definition`, resolved against its folder.
    @Sendable public static func readSparkFile(definition: String, path: String) -> Result<(file: String, text: String), SourceProblem> {
        let folder = (definition as NSString).deletingLastPathComponent
        let file = folder.isEmpty ? path : (folder as NSString).appendingPathComponent(path)
        return text(file).map { (file, $0) }
    }

    public static func text(_ file: String) -> Result<String, SourceProblem> {
        guard let handle = FileHandle(forReadingAtPath: file) else {
            return .failure(SourceProblem(file: file, line: 0, message: "cannot be read; check the path and its permissions"))
        }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: sizeLimit + 1)) ?? Data()
        guard data.count <= sizeLimit else {
            return .failure(SourceProblem(file: file, line: 0, message: "is larger than \(sizeLimit >> 20) MiB; a workflow definition is far smaller, split it"))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return .failure(SourceProblem(file: file, line: 0, message: "is not UTF-8 text; save it as UTF-8"))
        }
        return .success(text)
    }

    /// Whether some line starts with `workflow:`.
    static func isDefinition(_ text: String) -> Bool { startsALine(text, "workflow:") }

    /// Whether some line starts with `kind:` or `apiVersion:`.
    static func looksLikeKubernetesObject(_ text: String) -> Bool { startsALine(text, "kind:") || startsALine(text, "apiVersion:") }

    static func startsALine(_ text: String, _ prefix: String) -> Bool {
        text.hasPrefix(prefix) || text.contains("\n" + prefix)
    }
}
