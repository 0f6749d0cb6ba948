/// A cluster request that failed: the API answered with an error `Status`, could not be reached, kept
/// conflicting, or the target's own settings (token, certificate files) are unusable.
///
/// `description` is safe to show to users (it never contains the token); it names the cluster, the request and,
/// where one is known, what to do.
public struct ClusterError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure, for callers that branch (the server maps these to HTTP statuses).
    public enum Kind: String, Sendable, Codable {
        /// The API server answered with a non-2xx status (its `Status` object's code, reason and message).
        case api
        /// No HTTP response: refused connection, timeout, TLS failure (libcurl's code is in `message`).
        case transport
        /// The ConfigMap changed between every read and write, up to the retry limit.
        case conflict
        /// A 2xx answer that is not the object expected.
        case malformedResponse
        /// The cluster's settings cannot be used: a token or certificate file is missing or unreadable.
        case configuration
        /// The caller's input cannot be sent: a malformed manifest, an invalid name.
        case invalidRequest
    }

    /// What kind of failure.
    public var kind: Kind
    /// The cluster's name from the registry.
    public var cluster: String
    /// The request, such as `PUT /api/v1/namespaces/yunikorn/configmaps/yunikorn-configs`.
    public var operation: String
    /// The HTTP status, for `.api`.
    public var status: Int?
    /// The Kubernetes `Status` reason (`NotFound`, `AlreadyExists`, `Conflict`, `Unauthorized`, …), for `.api`.
    public var reason: String?
    /// The API server's message, or what went wrong.
    public var message: String
    /// What to do about it, when there is something to say.
    public var hint: String?
    /// libcurl's code, for `.transport`.
    public var transportCode: Int32?

    /// Bundles the fields.
    public init(_ kind: Kind, cluster: String, operation: String, status: Int? = nil, reason: String? = nil,
                message: String, hint: String? = nil, transportCode: Int32? = nil) {
        self.kind = kind
        self.cluster = cluster
        self.operation = operation
        self.status = status
        self.reason = reason
        self.message = message
        self.hint = hint
        self.transportCode = transportCode
    }

    /// Kubernetes answered 409: an optimistic-lock conflict (`Conflict`) or a name taken (`AlreadyExists`).
    public var isConflict: Bool { kind == .api && status == 409 }

    /// Whether the request may have taken effect although it failed: the request went out and no answer came
    /// back (a timeout, a connection reset or an empty reply: libcurl's 28, 52, 55, 56), or the API server
    /// answered that it gave up waiting on its storage (500, 504), which a write can outlive. A refused or
    /// unresolved connection (nothing sent) and every other answer are definite.
    public var outcomeUnknown: Bool {
        switch kind {
        case .transport: return [28, 52, 55, 56].contains(transportCode ?? 0)
        case .api: return status == 500 || status == 504
        default: return false
        }
    }

    /// Kubernetes answered 409 `AlreadyExists`: the object is there (for an idempotent create, a success).
    public var isAlreadyExists: Bool { kind == .api && status == 409 && reason == "AlreadyExists" }

    /// Kubernetes answered 404.
    public var isNotFound: Bool { kind == .api && status == 404 }

    /// "cluster moka-a: PUT /api/…: HTTP 409 Conflict: Operation cannot be fulfilled …; what to do".
    public var description: String {
        var text = "cluster \(cluster): \(operation): "
        if let status { text += "HTTP \(status)\(reason.map { " \($0)" } ?? ""): " }
        text += message
        if let hint { text += "; \(hint)" }
        return text
    }
}
