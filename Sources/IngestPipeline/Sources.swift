import Foundation
import Gzip
import HTTPFetch

/// One thing to read: a local file or a remote object. `name` is the checkpoint key (an absolute path
/// or the URL), so the same file named two ways is still one source.
struct SourceObject: Sendable, Equatable {
    enum Location: Sendable, Equatable {
        case file(path: String)
        case http(url: String)
        case s3(url: String)
    }

    var name: String
    var location: Location
    /// The folder the object sits in (logs are conventionally kept per cluster folder): the cluster of
    /// summaries that carry none (YARN lines).
    var folderName: String
}

/// A source that cannot be read, with what to do about it.
public struct SourceError: Error, Equatable, Sendable, CustomStringConvertible {
    public var source: String
    public var message: String
    public var description: String { "\(source): \(message)" }
}

enum SourceCatalog {
    /// Expands command-line sources into objects: files as they are; folders recursively (hidden entries,
    /// `*.csv` mapping files and SQLite stores skipped, sorted by path so the order is stable); URLs as
    /// they are.
    static func expand(_ argument: String, environment: [String: String]) throws(SourceError) -> [SourceObject] {
        if argument.hasPrefix("http://") || argument.hasPrefix("https://") {
            return [SourceObject(name: argument, location: .http(url: argument), folderName: folderName(ofURL: argument))]
        }
        if argument.hasPrefix("s3://") {
            return try expandS3(argument, environment: environment)
        }
        if argument.contains("://") {
            throw SourceError(source: argument, message: "unsupported URL scheme; use a path, http(s):// or s3://")
        }
        let absolute = URL(fileURLWithPath: argument).standardizedFileURL.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory) else {
            throw SourceError(source: argument, message: "no such file or folder")
        }
        guard isDirectory.boolValue else {
            return [SourceObject(name: absolute, location: .file(path: absolute), folderName: parentName(absolute))]
        }
        guard let walker = FileManager.default.enumerator(atPath: absolute) else {
            throw SourceError(source: argument, message: "cannot list the folder (check its permissions)")
        }
        var files: [String] = []
        while let relative = walker.nextObject() as? String {
            let last = (relative as NSString).lastPathComponent
            if last.hasPrefix(".") {
                walker.skipDescendants()
                continue
            }
            let path = absolute + "/" + relative
            var entryIsDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &entryIsDirectory), !entryIsDirectory.boolValue,
                  !ignoredSuffixes.contains(where: { last.lowercased().hasSuffix($0) }) else { continue }
            files.append(path)
        }
        return files.sorted().map { SourceObject(name: $0, location: .file(path: $0), folderName: parentName($0)) }
    }

    /// `s3://bucket/prefix` → every object under the prefix (an exact key is a prefix of itself), with
    /// the same skips as a folder walk.
    static func expandS3(_ argument: String, environment: [String: String]) throws(SourceError) -> [SourceObject] {
        do {
            let location = try S3Location(parsing: argument)
            let client = try S3Client(bucket: location.bucket, configuration: try S3Configuration(environment: environment))
            let objects = try client.list(prefix: location.key)
            guard !objects.isEmpty else {
                throw SourceError(source: argument, message: "no objects under this prefix; check the bucket and prefix")
            }
            return objects.filter { object in
                let last = object.key.split(separator: "/").last.map(String.init) ?? object.key
                return !object.key.hasSuffix("/") && !last.hasPrefix(".")
                    && !ignoredSuffixes.contains(where: { last.lowercased().hasSuffix($0) })
            }.map { object in
                let url = "s3://\(location.bucket)/\(object.key)"
                return SourceObject(name: url, location: .s3(url: url), folderName: folderName(ofURL: url))
            }
        } catch let error as S3Error {
            throw SourceError(source: argument, message: error.description)
        } catch let error as SourceError {
            throw error
        } catch {
            throw SourceError(source: argument, message: "\(error)")
        }
    }

    /// Files a log folder may hold that are never logs: mapping files and SQLite stores (with their
    /// write-ahead log and shared-memory files).
    static let ignoredSuffixes = [".csv", ".sqlite", ".sqlite-wal", ".sqlite-shm", ".sqlite-journal", ".db", ".db-wal", ".db-shm"]

    static func parentName(_ path: String) -> String {
        ((path as NSString).deletingLastPathComponent as NSString).lastPathComponent
    }

    static func folderName(ofURL url: String) -> String {
        var path = url
        if let query = path.firstIndex(of: "?") { path = String(path[..<query]) }
        let parts = path.split(separator: "/")
        return parts.count >= 2 ? String(parts[parts.count - 2]) : ""
    }
}

/// How remote sources are fetched, and the largest content accepted from one source.
struct SourceReader {
    var environment: [String: String]
    /// Largest downloaded size, and largest decompressed size of one gzip source (a guard against
    /// decompression bombs). Plain local files have no limit: they are read in segments.
    var maxBytes: Int = 8 << 30
    /// A whole download may take this long (large logs over slow links).
    var downloadTimeout: Duration = .seconds(3_600)

    /// Downloads a remote object to a temporary file, unlinked at once so nothing is left behind however
    /// the process ends, and returns the open file positioned at its start.
    func download(_ object: SourceObject) throws(SourceError) -> Int32 {
        var template = Array((NSTemporaryDirectory() + "/bursar-source.XXXXXX").utf8CString)
        let file = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard file >= 0 else {
            throw SourceError(source: object.name,
                              message: "cannot create a temporary file for the download: \(String(cString: strerror(errno))) (set TMPDIR to a writable folder)")
        }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        do {
            switch object.location {
            case .file:
                break
            case let .http(url):
                let response = try HTTPFetcher(timeout: downloadTimeout, maxBodyBytes: maxBytes).perform(FetchRequest(url: url), bodyTo: file)
                guard (200..<300).contains(response.status) else {
                    throw SourceError(source: url, message: "HTTP \(response.status); check the URL and that the server serves the log")
                }
            case let .s3(url):
                let location = try S3Location(parsing: url)
                let client = try S3Client(bucket: location.bucket, configuration: try S3Configuration(environment: environment),
                                          timeout: downloadTimeout, maxBodyBytes: maxBytes)
                try client.download(key: location.key, to: file)
            }
        } catch {
            close(file)
            if let error = error as? SourceError { throw error }
            if let error = error as? S3Error { throw SourceError(source: object.name, message: error.description) }
            throw SourceError(source: object.name, message: "\(error)")
        }
        guard lseek(file, 0, SEEK_SET) == 0 else {
            close(file)
            throw SourceError(source: object.name, message: "cannot read the downloaded file back: \(String(cString: strerror(errno)))")
        }
        return file
    }

    /// A hash of the first 4 KiB of the raw bytes (`head`): a log that only grew keeps its fingerprint, a
    /// replaced or rotated one does not.
    static func fingerprint(_ head: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in head.prefix(4096) {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
