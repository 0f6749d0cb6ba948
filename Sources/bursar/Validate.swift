import SourceDocuments
import ArgumentParser
import Foundation
import QueueConfig
#if canImport(Glibc)
import Glibc
#endif

/// `bursar validate FILE…`: YuniKorn's verdict on queue configuration files, with every problem.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check YuniKorn queue configurations (queues.yaml or a ConfigMap) the way yunikorn-core does.",
        discussion: """
        Each FILE is a queues.yaml, a Kubernetes ConfigMap carrying one (data key queues.yaml, or \
        binaryData queues.yaml.gz), a folder (every queues.yaml and ConfigMap below it), or - for standard input.
        The verdict is yunikorn-core's; unlike its queueconfigchecker, every problem is listed, with its \
        line, column and field path, and warnings flag what the validator accepts but the scheduler refuses.

        Exit codes: 0 all valid, 1 usage, 2 a file could not be read, 3 a file is invalid.
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Argument(help: "Files or folders to check; - reads standard input.")
    var files: [String]

    @Option(help: "Output format: text for people, json for scripts.")
    var format: Format = .text

    @Flag(help: "Treat warnings (configs YuniKorn's scheduler would refuse to load) as invalid.")
    var strict = false

    @Option(name: .customLong("yunikorn-version"),
            help: "The YuniKorn release to check for (1.6, 1.7 or 1.8): 1.6 and 1.7 refuse keys added in 1.8.0.")
    var yunikornVersion: String = YuniKornVersion.latest.description

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one file to check, or - for standard input") }
        guard let version = YuniKornVersion(yunikornVersion), version <= .latest else {
            throw ValidationError("--yunikorn-version \(yunikornVersion) is not one Bursar checks for; use 1.6, 1.7 or 1.8")
        }
    }

    func run() throws {
        let version = YuniKornVersion(yunikornVersion) ?? .latest  // validate() has vetted it
        var reports: [FileReport] = []
        for file in files {
            for (name, text) in InputFiles.read(file) {
                switch text {
                case .success(let content): reports.append(FileReport.check(text: content, file: name, for: version))
                case .failure(let error):
                    reports.append(.unreadable(file: name, reason: error.description))
                }
            }
        }
        switch format {
        case .text:
            var output = reports.map { $0.text(strict: strict) }.joined()
            if reports.count > 1 {
                let outcomes = reports.map { $0.outcome(strict: strict) }
                output += "\(reports.count) files: \(outcomes.filter { $0 == .valid }.count) valid, "
                    + "\(outcomes.filter { $0 == .invalid }.count) invalid, \(outcomes.filter { $0 == .unreadable }.count) unreadable\n"
            }
            FileHandle.standardOutput.write(Data(output.utf8))
        case .json:
            FileHandle.standardOutput.write(Data(FileReport.json(reports, strict: strict).utf8))
        }
        let worst = reports.map { $0.outcome(strict: strict) }.max() ?? .valid
        if worst != .valid { throw ExitCode(Int32(worst.rawValue)) }
    }
}

/// Reads the inputs named on the command line: files, folders and standard input.
enum InputFiles {
    struct ReadError: Error, CustomStringConvertible {
        var description: String
    }

    static func read(_ argument: String) -> [(String, Result<String, ReadError>)] {
        if argument == "-" {
            // Read no more than one byte past the limit: the rest would be refused anyway.
            var data = Data()
            while data.count <= sizeLimit {
                let chunk = FileHandle.standardInput.readData(ofLength: min(1 << 20, sizeLimit + 1 - data.count))
                if chunk.isEmpty { break }
                data.append(chunk)
            }
            if data.count > sizeLimit { return [("-", .failure(tooLarge(nil)))] }
            return [("-", decode(data, name: "standard input"))]
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
            return [(argument, .failure(ReadError(description: "no such file; check the path")))]
        }
        if isDirectory.boolValue {
            let found = configFiles(under: argument)
            if found.isEmpty {
                return [(argument, .failure(ReadError(description: "folder holds no queues.yaml or ConfigMap YAML")))]
            }
            return found.map { ($0, readFile($0)) }
        }
        return [(argument, readFile(argument))]
    }

    /// The largest queue configuration read (`DocumentLimits.queueConfig`); its other limits (nesting,
    /// aliases) are checked by the validator, which reports them as problems (exit 3).
    static let sizeLimit = DocumentLimits.queueConfig.maxBytes

    static func tooLarge(_ size: UInt64?) -> ReadError {
        let what = size.map { "is \($0) bytes, over" } ?? "is over"
        return ReadError(description: "\(what) the document-size limit of \(sizeLimit) bytes for a queue configuration; split the configuration or check that this is the right file")
    }

    static func readFile(_ path: String) -> Result<String, ReadError> {
        // Read straight into the string's own storage: large configs are read once, not copied.
        guard let handle = FileHandle(forReadingAtPath: path) else {
            return .failure(ReadError(description: "cannot be opened (permissions?)"))
        }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd(), (try? handle.seek(toOffset: 0)) != nil else {
            return .failure(ReadError(description: "cannot be read"))
        }
        // Not read at all past the limit (exit 2, as for any file that cannot be read).
        if size > UInt64(sizeLimit) { return .failure(tooLarge(size)) }
        var failed = false
        var valid = true
        let raw = String(unsafeUninitializedCapacity: Int(size)) { buffer in
            var filled = 0
            while filled < buffer.count {
                let count = Glibc.read(handle.fileDescriptor, buffer.baseAddress! + filled, buffer.count - filled)
                if count <= 0 {
                    failed = count < 0
                    break
                }
                filled += count
            }
            // The initializer would silently repair invalid UTF-8: check first, and refuse instead.
            var bytes = UnsafeBufferPointer(rebasing: buffer[0..<filled]).makeIterator()
            var decoder = UTF8()
            decoding: while true {
                switch decoder.decode(&bytes) {
                case .scalarValue: continue
                case .emptyInput: break decoding
                case .error:
                    valid = false
                    break decoding
                }
            }
            return filled
        }
        if failed { return .failure(ReadError(description: "cannot be read")) }
        guard valid else { return .failure(ReadError(description: "is not UTF-8 text; YuniKorn reads UTF-8 YAML")) }
        return .success(raw)
    }

    static func decode(_ data: Data, name: String) -> Result<String, ReadError> {
        guard let text = String(validating: data, as: UTF8.self) else {
            return .failure(ReadError(description: "is not UTF-8 text; YuniKorn reads UTF-8 YAML"))
        }
        return .success(text)
    }

    /// Every `queues.yaml`, and every other YAML file that is a ConfigMap, below `folder`, sorted.
    static func configFiles(under folder: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
        var found: [String] = []
        for case let relative as String in walker where relative.hasSuffix(".yaml") || relative.hasSuffix(".yml") {
            let path = (folder as NSString).appendingPathComponent(relative)
            if (relative as NSString).lastPathComponent == "queues.yaml" {
                found.append(path)
            } else if let data = FileManager.default.contents(atPath: path),
                      let text = String(data: data, encoding: .utf8), text.contains("kind: ConfigMap") {
                found.append(path)
            }
        }
        return found.sorted()
    }
}
