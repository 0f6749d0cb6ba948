import Foundation
import HTTPFetch
import JSONText

/// One change a watch on SparkApplications reports.
public enum SparkApplicationChange: Sendable, Equatable {
    /// ADDED or MODIFIED: the object as it is now.
    case upsert(SparkApplicationStatus)
    /// DELETED: the object as it was last.
    case deleted(SparkApplicationStatus)
    /// BOOKMARK: nothing changed that this watch sees up to `resourceVersion`; resume from there.
    case bookmark(resourceVersion: String)

    /// The resourceVersion the watch has reached with this change.
    public var resourceVersion: String {
        switch self {
        case .upsert(let status), .deleted(let status): return status.resourceVersion
        case .bookmark(let version): return version
        }
    }
}

/// Every SparkApplication a list found, and the resourceVersion to watch from so nothing after it is missed.
public struct SparkApplicationList: Sendable, Equatable {
    public var items: [SparkApplicationStatus]
    public var resourceVersion: String

    /// Bundles the fields.
    public init(items: [SparkApplicationStatus], resourceVersion: String) {
        self.items = items
        self.resourceVersion = resourceVersion
    }
}

/// A cluster whose SparkApplications can be listed, watched and deleted: what the scheduler needs to learn
/// each job's end from one stream per cluster instead of a poll per job (the Kubernetes API; the simulated
/// cluster serves the same API).
public protocol SparkApplicationWatching: ClusterTarget {
    /// Every SparkApplication matching `labelSelector` in every namespace, read page by page.
    func listSparkApplications(labelSelector: String?) throws -> SparkApplicationList

    /// Streams the changes after `resourceVersion` to `receive` until the server ends the watch (after about
    /// `timeoutSeconds`) or `receive` returns false. Returns the last resourceVersion seen (the one given when
    /// nothing came). A resourceVersion the server no longer holds throws a `ClusterError` with `isExpired`:
    /// list again and watch from the list's version.
    func watchSparkApplications(labelSelector: String?, from resourceVersion: String, timeoutSeconds: Int,
                                _ receive: (SparkApplicationChange) -> Bool) throws -> String

    /// Deletes a SparkApplication (the operator then removes its driver and executors) in `namespace` (nil: the
    /// cluster's `spark_namespace`); false when it was already gone.
    func deleteSparkApplication(namespace: String?, name: String) throws -> Bool
}

extension ClusterError {
    /// Whether the server no longer holds the resourceVersion a watch asked to resume from (410 Gone).
    public var isExpired: Bool { kind == .api && status == 410 }
}

extension KubernetesTarget: SparkApplicationWatching {
    /// The all-namespaces collection path of SparkApplications.
    static let allSparkApplicationsPath = "/apis/sparkoperator.k8s.io/v1beta2/sparkapplications"
    /// How many objects one list page asks for (the API server's chunking keeps each answer small).
    static let listPageSize = 500
    /// The longest watch line accepted: an object larger than etcd's 1.5 MiB limit cannot be real.
    static let longestWatchLine = 4 << 20

    public func listSparkApplications(labelSelector: String?) throws -> SparkApplicationList {
        var items: [SparkApplicationStatus] = []
        var next: String?
        var version = ""
        repeat {
            var query = [("limit", String(Self.listPageSize))]
            if let labelSelector { query.append(("labelSelector", labelSelector)) }
            if let next { query.append(("continue", next)) }
            let path = Self.allSparkApplicationsPath + Self.query(query)
            let bytes = try callRaw(.get, path, absentIfNotFound: false) ?? []
            var pageVersion: String?
            var objects: [KubernetesObjectFields] = []
            next = nil
            do {
                var reader = JSONReader(bytes)
                guard try reader.peek() == .object else { throw malformed("GET \(path)", "the body is JSON but not an object") }
                try reader.object { key, reader in
                    switch key {
                    case "metadata" where try reader.peek() == .object:
                        try reader.object { key, reader in
                            switch key {
                            case "resourceVersion": pageVersion = try reader.optionalString()
                            case "continue": next = try reader.optionalString()
                            default: try reader.skip()
                            }
                        }
                    case "items" where try reader.peek() == .array:
                        try reader.array { reader in
                            // Items of another shape are passed over, as a list of SparkApplications holds none.
                            if try reader.peek() == .object { objects.append(try KubernetesObjectFields.read(&reader)) } else { try reader.skip() }
                        }
                    default: try reader.skip()
                    }
                }
                try reader.finish()
            } catch let error as ClusterError {
                throw error
            } catch {
                throw malformed("GET \(path)", "the body is not JSON (\(error))")
            }
            guard let pageVersion, !pageVersion.isEmpty else {
                throw malformed("GET \(path)", "the list has no metadata.resourceVersion")
            }
            // Every page of one list is a snapshot at its first page's version.
            if version.isEmpty { version = pageVersion }
            for object in objects {
                do { items.append(try object.sparkStatus()) } catch { throw malformed("GET \(path)", error.reason) }
            }
            if next?.isEmpty == true { next = nil }
        } while next != nil
        return SparkApplicationList(items: items, resourceVersion: version)
    }

    public func watchSparkApplications(labelSelector: String?, from resourceVersion: String, timeoutSeconds: Int,
                                       _ receive: (SparkApplicationChange) -> Bool) throws -> String {
        var query = [("watch", "1"), ("allowWatchBookmarks", "true"), ("resourceVersion", resourceVersion),
                     ("timeoutSeconds", String(max(1, timeoutSeconds)))]
        if let labelSelector { query.append(("labelSelector", labelSelector)) }
        let path = Self.allSparkApplicationsPath + Self.query(query)
        let operation = "WATCH \(path)"
        let (token, tls) = try credentials(operation)
        let request = FetchRequest(method: .get, url: endpoint.server + path, headers: ["Accept: application/json"],
                                   bearerToken: token, tls: tls)
        let fetcher: HTTPFetcher
        do {
            // The server ends the watch after timeoutSeconds; the client's limit only catches one that never does.
            fetcher = try HTTPFetcher(timeout: .seconds(timeoutSeconds + 30), connectTimeout: .seconds(10))
        } catch {
            throw ClusterError(.transport, cluster: cluster, operation: operation, message: error.message)
        }
        var reader = WatchLineReader(longest: Self.longestWatchLine)
        var reached = resourceVersion
        var failure: ClusterError?
        var errorBody: [UInt8] = []
        let response: FetchResponse
        do {
            response = try fetcher.perform(request) { piece in
                if errorBody.count > 0 || failure != nil { return false }
                let lines: [ArraySlice<UInt8>]
                do { lines = try reader.take(piece) } catch {
                    failure = malformed(operation, "a watch line is longer than \(Self.longestWatchLine) bytes")
                    return false
                }
                for line in lines {
                    let event: SparkApplicationChange
                    switch WatchEvent.read(line) {
                    case .change(let change): event = change
                    case .expired(let message):
                        failure = ClusterError(.api, cluster: cluster, operation: operation, status: 410, reason: "Expired",
                                               message: message, hint: "list again and watch from the list's resourceVersion")
                        return false
                    case .error(let code, let reason, let message):
                        failure = ClusterError(.api, cluster: cluster, operation: operation, status: code, reason: reason,
                                               message: message)
                        return false
                    case .malformed(let why):
                        // A non-2xx answer is one Status object, not a stream of events: keep it for the error.
                        if reached == resourceVersion, errorBody.isEmpty, line.count < 65_536 {
                            errorBody = Array(line)
                            return false
                        }
                        failure = malformed(operation, why)
                        return false
                    }
                    reached = event.resourceVersion
                    if !receive(event) { return false }
                }
                return true
            }
        } catch {
            if let failure { throw failure }
            throw ClusterError(.transport, cluster: cluster, operation: operation,
                               message: "no response (curl \(error.code)): \(error.message)",
                               hint: transportHint(error.code), transportCode: error.code)
        }
        if let failure { throw failure }
        if !(200..<300).contains(response.status) {
            throw apiError(FetchResponse(status: response.status, body: errorBody, headers: response.headers), operation: operation)
        }
        return reached
    }

    public func deleteSparkApplication(namespace: String?, name: String) throws -> Bool {
        let path = Self.sparkApplicationsPath(try checkedName(namespace ?? endpoint.sparkNamespace, what: "namespace")) + "/" + (try checkedName(name, what: "name"))
        // Foreground: the driver and executors go before the object does.
        let body = Array(#"{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Foreground"}"#.utf8)
        return try callRaw(.delete, path, body: body, absentIfNotFound: true) != nil
    }

    /// `?name=value&…` with each value percent-encoded (a label selector holds `/`, `=` and `,`).
    static func query(_ pairs: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return "?" + pairs.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
    }
}

/// Splits a watch stream into its lines (one JSON event each), holding at most one unfinished line.
struct WatchLineReader {
    let longest: Int
    private var pending: [UInt8] = []

    struct TooLong: Error {}

    init(longest: Int) {
        self.longest = longest
    }

    /// The lines this piece completes (empty lines, which a server may send to keep the stream alive, skipped).
    mutating func take(_ piece: UnsafeRawBufferPointer) throws(TooLong) -> [ArraySlice<UInt8>] {
        pending.append(contentsOf: piece)
        guard let last = pending.lastIndex(of: 10) else {
            guard pending.count <= longest else { throw TooLong() }
            return []
        }
        let lines = pending[...last].split(separator: 10, omittingEmptySubsequences: true)
        pending = Array(pending[(last + 1)...])
        guard pending.count <= longest, lines.allSatisfy({ $0.count <= longest }) else { throw TooLong() }
        return lines
    }
}

/// One line of a watch stream, read.
enum WatchEvent {
    case change(SparkApplicationChange)
    /// 410: the resourceVersion asked for is no longer held.
    case expired(String)
    case error(code: Int, reason: String?, message: String)
    case malformed(String)

    static func read(_ line: ArraySlice<UInt8>) -> WatchEvent {
        var reader = JSONReader(line)
        var type: String?
        var object: KubernetesObjectFields?
        do {
            guard try reader.peek() == .object else { return .malformed("a watch line is not a {\"type\", \"object\"} event") }
            try reader.object { key, reader in
                switch key {
                case "type": type = try reader.optionalString()
                case "object" where try reader.peek() == .object: object = try KubernetesObjectFields.read(&reader)
                default: try reader.skip()
                }
            }
            try reader.finish()
        } catch {
            return .malformed("a watch line is not JSON (\(error))")
        }
        guard let type, let object else { return .malformed("a watch line is not a {\"type\", \"object\"} event") }
        switch type {
        case "ADDED", "MODIFIED", "DELETED":
            guard let status = try? object.sparkStatus() else {
                return .malformed("a \(type) event's object is not a SparkApplication with name, uid and resourceVersion")
            }
            return .change(type == "DELETED" ? .deleted(status) : .upsert(status))
        case "BOOKMARK":
            guard let version = object.resourceVersion, !version.isEmpty else {
                return .malformed("a BOOKMARK event has no metadata.resourceVersion")
            }
            return .change(.bookmark(resourceVersion: version))
        case "ERROR":
            let code = object.code.map { Int(clamping: $0) } ?? 500
            let message = object.message ?? "the watch failed"
            return code == 410 ? .expired(message) : .error(code: code, reason: object.reason, message: message)
        default:
            return .malformed("a watch event has the unknown type \(type)")
        }
    }
}
