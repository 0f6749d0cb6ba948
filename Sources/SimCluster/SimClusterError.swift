/// Why the simulated cluster refused a request, in the terms the Kubernetes API answers with: the edge turns
/// it into a `Status` object with the same `code` and `reason`, so clients see what a real API server says.
public struct SimClusterError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The Kubernetes `Status.reason` and its HTTP code.
    public enum Reason: String, Sendable, Equatable {
        /// 400: the body is not what the resource takes.
        case badRequest = "BadRequest"
        /// 401: no or a wrong bearer token.
        case unauthorized = "Unauthorized"
        /// 404: no such object.
        case notFound = "NotFound"
        /// 405: the resource does not take this method.
        case methodNotAllowed = "MethodNotAllowed"
        /// 409: the name is taken.
        case alreadyExists = "AlreadyExists"
        /// 409: the write named a resourceVersion that is no longer current.
        case conflict = "Conflict"
        /// 410: a watch asked to resume from a resourceVersion older than the kept history.
        case expired = "Expired"
        /// 413: the body is larger than the cluster takes.
        case requestEntityTooLarge = "RequestEntityTooLarge"
        /// 422: a field has a value the resource refuses.
        case invalid = "Invalid"

        /// The HTTP status code the API server answers with.
        public var code: Int {
            switch self {
            case .badRequest: return 400
            case .unauthorized: return 401
            case .methodNotAllowed: return 405
            case .notFound: return 404
            case .alreadyExists, .conflict: return 409
            case .expired: return 410
            case .requestEntityTooLarge: return 413
            case .invalid: return 422
            }
        }
    }

    /// What kind of refusal.
    public var reason: Reason
    /// The message as the API server would word it, naming the field and what to do.
    public var message: String
    /// The field at fault (`spec.driver.memory`), when one is.
    public var field: String?
    /// The object's name, for the Status `details`.
    public var name: String?
    /// The resource (`sparkapplications`, `configmaps`), or the kind for an invalid object, for the Status `details`.
    public var resource: String?

    /// A refusal.
    public init(_ reason: Reason, _ message: String, field: String? = nil, name: String? = nil, resource: String? = nil) {
        self.reason = reason
        self.message = message
        self.field = field
        self.name = name
        self.resource = resource
    }

    /// `<code> <reason>: <message>`.
    public var description: String { "\(reason.code) \(reason.rawValue): \(message)" }

    /// The 404 the API server gives for a missing object.
    static func notFound(_ resource: String, group: String, name: String) -> SimClusterError {
        SimClusterError(.notFound, "\(resource)\(group.isEmpty ? "" : "." + group) \"\(name)\" not found",
                        name: name, resource: resource)
    }

    /// A 422 for one field of an object.
    static func invalid(kind: String, name: String, field: String, _ problem: String) -> SimClusterError {
        // The API server's details name the kind (not the resource) for an invalid object.
        SimClusterError(.invalid, "\(kind) \"\(name)\" is invalid: \(field): \(problem)", field: field, name: name, resource: kind)
    }
}
