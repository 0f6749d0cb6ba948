public import Platform
import Foundation
import HTTPFetch

/// A cluster reached through its Kubernetes API server (libcurl): SparkApplications through the Spark
/// operator's CRD, queue configuration through the `yunikorn-configs` ConfigMap.
///
/// Credentials come from the registry's `kubernetes:` section: a bearer token file (re-read on every request,
/// since service-account tokens rotate), a CA bundle, a client certificate and key. Thread-safe: each call
/// borrows a libcurl handle from a small pool, so concurrent callers never share one.
public final class KubernetesTarget: ClusterTarget {
    /// The cluster's name in the registry.
    public let cluster: String
    /// Where and how to reach it.
    public let endpoint: KubernetesEndpoint
    /// "kubernetes".
    public var kind: String { "kubernetes" }
    private let pool: FetcherPool

    /// A target for `cluster`; nothing is contacted or read until the first call.
    /// - Parameter timeout: limit for each request, connection included.
    public init(cluster: String, endpoint: KubernetesEndpoint, timeout: Duration = .seconds(30)) {
        self.cluster = cluster
        self.endpoint = endpoint
        pool = FetcherPool(timeout: timeout, connectTimeout: min(timeout, .seconds(10)), maxBodyBytes: 64 << 20, keep: 4)
    }

    /// The collection path of SparkApplications in `namespace`.
    static func sparkApplicationsPath(_ namespace: String) -> String {
        "/apis/sparkoperator.k8s.io/v1beta2/namespaces/\(namespace)/sparkapplications"
    }

    /// The collection path of ConfigMaps in `namespace`.
    static func configMapsPath(_ namespace: String) -> String {
        "/api/v1/namespaces/\(namespace)/configmaps"
    }

    /// GETs `/readyz`: the API server answers 200 only when it and its storage can serve requests.
    public func checkReady() throws {
        _ = try callRaw(.get, "/readyz")
    }

    /// POSTs the manifest to the SparkApplication collection; a taken name is a 409 `AlreadyExists` error.
    public func createSparkApplication(namespace: String?, manifestJSON: [UInt8]) throws -> CreatedSparkApplication {
        let namespace = try checkedName(namespace ?? endpoint.sparkNamespace, what: "namespace")
        let path = Self.sparkApplicationsPath(namespace)
        let operation = "POST \(path)"
        let manifest = try? KubernetesObjectFields.read(manifestJSON)
        guard manifest?.kind == "SparkApplication" else {
            throw ClusterError(.invalidRequest, cluster: cluster, operation: operation,
                               message: manifest == nil ? "the manifest is not a JSON object"
                                   : "the manifest's kind is not SparkApplication",
                               hint: "send a SparkApplication manifest as a JSON object")
        }
        let answer = try call(.post, path, body: manifestJSON)
        guard let name = answer.name, let uid = answer.uid, let version = answer.resourceVersion else {
            throw malformed(operation, "the answer has no metadata.name, uid and resourceVersion")
        }
        return CreatedSparkApplication(name: name, namespace: answer.namespace ?? namespace, uid: uid,
                                       resourceVersion: version)
    }

    /// GETs the SparkApplication and reads the state the Spark operator wrote.
    public func sparkApplicationStatus(namespace: String?, name: String) throws -> SparkApplicationStatus {
        let namespace = try checkedName(namespace ?? endpoint.sparkNamespace, what: "namespace")
        let path = Self.sparkApplicationsPath(namespace) + "/" + (try checkedName(name, what: "name"))
        let object = try call(.get, path)
        do throws(QueueConfigMap.Malformed) {
            guard object.kind == "SparkApplication" else {
                throw QueueConfigMap.Malformed(reason: "the answer is not a SparkApplication with name, uid and resourceVersion")
            }
            return try object.sparkStatus()
        } catch {
            throw malformed("GET \(path)", error.reason)
        }
    }

    /// GETs `yunikorn-configs` in YuniKorn's namespace; a 404 means it does not exist.
    public func queueConfig() throws -> LiveQueueConfig? {
        let path = Self.configMapsPath(endpoint.namespace) + "/" + QueueConfigMap.name
        guard let bytes = try callRaw(.get, path, absentIfNotFound: true) else { return nil }
        do {
            return try QueueConfigMap.read(bytes)
        } catch {
            throw malformed("GET \(path)", error.reason)
        }
    }

    /// POSTs a new ConfigMap, or PUTs `live` with its configuration replaced and its resourceVersion kept.
    public func applyQueueConfig(_ queuesYAML: String, replacing live: LiveQueueConfig?) throws -> String {
        let collection = Self.configMapsPath(endpoint.namespace)
        let method: FetchRequest.Method = live == nil ? .post : .put
        let path = live == nil ? collection : collection + "/" + QueueConfigMap.name
        let body: [UInt8]
        do {
            body = try Self.configMapBody(queuesYAML, replacing: live, namespace: endpoint.namespace)
        } catch {
            throw ClusterError(.invalidRequest, cluster: cluster, operation: "\(method.rawValue) \(path)",
                               message: error.reason)
        }
        guard let version = try call(method, path, body: body).resourceVersion else {
            throw malformed("\(method.rawValue) \(path)", "the answer has no metadata.resourceVersion")
        }
        return version
    }

    /// The body of the write: `live` with its configuration replaced (PUT), or a new ConfigMap (POST).
    static func configMapBody(_ queuesYAML: String, replacing live: LiveQueueConfig?, namespace: String)
        throws(QueueConfigMap.Malformed) -> [UInt8]
    {
        guard let live else { return try QueueConfigMap.new(queuesYAML: queuesYAML, namespace: namespace) }
        // An unconditional PUT would silently undo whatever changed since the read.
        guard !live.resourceVersion.isEmpty else {
            throw QueueConfigMap.Malformed(reason: "the state to replace has no resourceVersion")
        }
        return try QueueConfigMap.replacing(live, with: queuesYAML)
    }

    // MARK: - Requests

    /// Sends a request and reads the 2xx answer's object (metadata and status; the rest skipped).
    private func call(_ method: FetchRequest.Method, _ path: String, body: [UInt8] = []) throws(ClusterError)
        -> KubernetesObjectFields
    {
        let bytes = try callRaw(method, path, body: body)
        do {
            return try KubernetesObjectFields.read(bytes)
        } catch {
            throw malformed("\(method.rawValue) \(path)", error.reason)
        }
    }

    /// Sends a request and returns the 2xx answer's body; other statuses become `.api` errors.
    private func callRaw(_ method: FetchRequest.Method, _ path: String, body: [UInt8] = []) throws(ClusterError)
        -> [UInt8]
    {
        // Only a GET asks for nil on 404, so a body always comes back here.
        try callRaw(method, path, body: body, absentIfNotFound: false) ?? []
    }

    /// Sends a request and returns the 2xx answer's body, or nil for a 404 when `absentIfNotFound`.
    func callRaw(_ method: FetchRequest.Method, _ path: String, body: [UInt8] = [], absentIfNotFound: Bool)
        throws(ClusterError) -> [UInt8]?
    {
        let operation = "\(method.rawValue) \(path)"
        let (token, tls) = try credentials(operation)
        var headers = ["Accept: application/json", "Expect:"]  // "Expect:": no 100-continue round trip per write
        if method != .get { headers.append("Content-Type: application/json") }
        let request = FetchRequest(method: method, url: endpoint.server + path, headers: headers, body: body,
                                  bearerToken: token, tls: tls)
        let response: FetchResponse
        do {
            response = try pool.perform(request)
        } catch {
            throw ClusterError(.transport, cluster: cluster, operation: operation,
                               message: "no response (curl \(error.code)): \(error.message)",
                               hint: transportHint(error.code), transportCode: error.code)
        }
        if absentIfNotFound, response.status == 404 { return nil }
        guard (200..<300).contains(response.status) else { throw apiError(response, operation: operation) }
        return response.body
    }

    /// The token and TLS files, checked before each request so a bad path is named instead of a TLS failure.
    func credentials(_ operation: String) throws(ClusterError) -> (String?, TLSFiles) {
        func unusable(_ field: String, _ path: String, _ why: String) -> ClusterError {
            ClusterError(.configuration, cluster: cluster, operation: operation,
                         message: "kubernetes.\(field) \(path) \(why)",
                         hint: "fix the path in \(endpoint.origin.isEmpty ? "clusters.yaml" : endpoint.origin), or the file's permissions")
        }
        for (field, path) in [("ca_file", endpoint.caFile), ("client_cert_file", endpoint.clientCertFile),
                              ("client_key_file", endpoint.clientKeyFile)] {
            if let path, !FileManager.default.isReadableFile(atPath: path) {
                throw unusable(field, path, FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist")
            }
        }
        var token: String?
        if let path = endpoint.tokenFile {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw unusable("token_file", path, FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist")
            }
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty, !text.contains(where: \.isNewline) else {
                throw unusable("token_file", path, "does not hold one token on one line")
            }
            token = text
        }
        let tls = TLSFiles(caBundle: endpoint.caFile, clientCertificate: endpoint.clientCertFile,
                           clientKey: endpoint.clientKeyFile)
        return (token, tls)
    }

    /// A non-2xx answer as an error, with the `Status` object's reason and message when the body is one.
    func apiError(_ response: FetchResponse, operation: String) -> ClusterError {
        let status = (try? JSONObject.parse(response.body)).flatMap { $0["kind"] as? String == "Status" ? $0 : nil }
        let reason = status?["reason"] as? String
        var message = status?["message"] as? String ?? ""
        if message.isEmpty {
            let text = String(decoding: response.body.prefix(300), as: UTF8.self)
            message = text.isEmpty ? "(empty body)" : text
        }
        return ClusterError(.api, cluster: cluster, operation: operation, status: response.status, reason: reason,
                            message: message, hint: apiHint(response.status, reason: reason, operation: operation))
    }

    private func apiHint(_ status: Int, reason: String?, operation: String) -> String? {
        let origin = endpoint.origin.isEmpty ? "clusters.yaml" : endpoint.origin
        switch status {
        case 401:
            return "the API server did not accept the credentials: check token_file / client_cert_file in \(origin)"
        case 403:
            return "the credentials lack RBAC permission for this request: grant them on the resource and namespace named"
        case 404 where operation.contains("sparkapplications"):
            return "check that the namespace exists and the Spark operator's CRD (sparkoperator.k8s.io/v1beta2) is installed"
        case 404:
            return "check that namespace \(endpoint.namespace) exists (kubernetes.namespace in \(origin))"
        case 409 where reason == "AlreadyExists" && operation.contains("sparkapplications"):
            return "choose another metadata.name, or use metadata.generateName"
        case 400, 422:
            return "the object was refused as sent: fix it as the message says"
        case 500...599:
            return "the API server failed; retry later"
        default:
            return nil
        }
    }

    func transportHint(_ code: Int32) -> String {
        let origin = endpoint.origin.isEmpty ? "clusters.yaml" : endpoint.origin
        switch code {
        case 6, 7:
            return "check server: in \(origin) and that the API server is reachable from here"
        case 28:
            return "the API server did not answer in time; check the network, or retry"
        case 35, 51, 53, 54, 58, 59, 60, 64, 66, 77, 80, 82, 83, 90, 91:
            return "TLS failed: check ca_file (the API server's CA) and, where the server asks for one, "
                + "client_cert_file and client_key_file in \(origin)"
        case 52, 55, 56:
            // With TLS 1.3 a refused client certificate shows up only after the handshake, as a dropped connection.
            guard endpoint.server.lowercased().hasPrefix("https") else { return "the API server dropped the connection; retry" }
            return "the API server dropped the connection: if it requires a client certificate, set "
                + "client_cert_file and client_key_file in \(origin); otherwise retry"
        default:
            return "check server: in \(origin)"
        }
    }

    func malformed(_ operation: String, _ reason: String) -> ClusterError {
        ClusterError(.malformedResponse, cluster: cluster, operation: operation, message: reason,
                     hint: "check that server: in \(endpoint.origin.isEmpty ? "clusters.yaml" : endpoint.origin) is a Kubernetes API server")
    }

    /// A namespace or object name, checked so it cannot change the request path.
    func checkedName(_ text: String, what: String) throws(ClusterError) -> String {
        guard KubernetesNames.isSubdomain(text) else {
            throw ClusterError(.invalidRequest, cluster: cluster, operation: "request",
                               message: "\(what) \"\(text)\" is not a Kubernetes name",
                               hint: "use lower-case letters, digits, '-' and '.', at most 253")
        }
        return text
    }
}

/// Kubernetes' naming rules.
enum KubernetesNames {
    /// An RFC 1123 subdomain: what object names (and, more strictly, namespaces) must be.
    static func isSubdomain(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        func alphanumeric(_ b: UInt8) -> Bool { (b >= 97 && b <= 122) || (b >= 48 && b <= 57) }
        guard !bytes.isEmpty, bytes.count <= 253, alphanumeric(bytes.first!), alphanumeric(bytes.last!) else {
            return false
        }
        return bytes.allSatisfy { alphanumeric($0) || $0 == 45 || $0 == 46 }
    }
}
