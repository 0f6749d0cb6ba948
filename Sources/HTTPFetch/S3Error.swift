/// Why an S3 operation failed, and what to do about it.
///
/// `description` is safe to show a user (it never contains a secret); `debugDescription` adds the URL and
/// S3's request id, which AWS support asks for.
public struct S3Error: Error, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The broad kind of failure, for code that branches on it. More kinds may be added.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidLocation = "invalid location"
            case invalidConfiguration = "invalid configuration"
            case missingCredentials = "missing credentials"
            case service = "service error"
            case transport = "no response"
            case bodyTooLarge = "body too large"
            case malformedResponse = "malformed response"
        }

        private let base: Base

        /// An `s3://` location, bucket name or key S3 cannot accept.
        public static let invalidLocation = Kind(base: .invalidLocation)
        /// A region or endpoint that cannot be used.
        public static let invalidConfiguration = Kind(base: .invalidConfiguration)
        /// `AWS_ACCESS_KEY_ID` or `AWS_SECRET_ACCESS_KEY` is not set.
        public static let missingCredentials = Kind(base: .missingCredentials)
        /// S3 answered with an error status; `status` and usually `code` say which.
        public static let service = Kind(base: .service)
        /// No HTTP response arrived: refused connection, DNS, TLS, timeout.
        public static let transport = Kind(base: .transport)
        /// The object is larger than the client's body limit.
        public static let bodyTooLarge = Kind(base: .bodyTooLarge)
        /// A success status with a body that is not what S3 sends, which usually means the endpoint is not S3.
        public static let malformedResponse = Kind(base: .malformedResponse)

        /// A short name for the kind, such as "service error".
        public var description: String { base.rawValue }
    }

    /// The broad kind of failure.
    public let kind: Kind
    /// What was being done, such as "GET s3://bucket/key", "LIST s3://bucket/prefix" or "configuration".
    public let operation: String
    /// The HTTP status S3 answered with (only for `.service`).
    public let status: Int?
    /// S3's error code from the `<Code>` element, such as "NoSuchKey" or "SignatureDoesNotMatch".
    public let code: String?
    /// The detail: S3's `<Message>`, libcurl's text, or what is wrong with the input.
    public let message: String
    /// What to do about it, when there is something better to say than the message.
    public let hint: String?
    /// The URL requested, for logs.
    public let url: String?
    /// S3's `<RequestId>`, for logs and support cases.
    public let requestID: String?

    init(
        _ kind: Kind, operation: String, message: String, hint: String? = nil, status: Int? = nil,
        code: String? = nil, url: String? = nil, requestID: String? = nil
    ) {
        self.kind = kind
        self.operation = operation
        self.message = message
        self.hint = hint
        self.status = status
        self.code = code
        self.url = url
        self.requestID = requestID
    }

    /// "S3 GET s3://bucket/key: 403 AccessDenied: Access Denied — check AWS_ACCESS_KEY_ID / ...".
    public var description: String {
        var text = "S3 \(operation): "
        if let status { text += "\(status) " }
        if let code { text += "\(code): " }
        text += message
        if let hint { text += " — \(hint)" }
        return text
    }

    /// The description plus the URL and S3's request id.
    public var debugDescription: String {
        var text = description
        if let url { text += " [url: \(url)]" }
        if let requestID { text += " [request id: \(requestID)]" }
        return text
    }
}

extension S3Error {
    /// The error for a non-success status, from S3's error document when there is one.
    static func service(
        operation: String, status: Int, body: [UInt8], url: String
    ) -> S3Error {
        let document = S3XML.errorDocument(body)
        let code = document?.code
        var message = document?.message ?? ""
        if message.isEmpty {
            // HEAD responses and some proxies carry no error document: say what the status means.
            message =
                switch status {
                case 301, 307: "the bucket is served from another endpoint"
                case 403: "access denied"
                case 404: "not found"
                case 500...599: "S3 service error"
                default: "unexpected HTTP status"
                }
        }
        return S3Error(
            .service, operation: operation, message: message,
            hint: hint(status: status, code: code, document: document), status: status, code: code, url: url,
            requestID: document?.requestID)
    }

    /// Advice for the codes a user can act on; the codes are S3's documented error codes.
    private static func hint(status: Int, code: String?, document: S3XML.ErrorDocument?) -> String? {
        let credentials = "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY"
        switch code {
        case "SignatureDoesNotMatch":
            return "check AWS_SECRET_ACCESS_KEY: it must be the secret of AWS_ACCESS_KEY_ID"
        case "InvalidAccessKeyId":
            return "check AWS_ACCESS_KEY_ID, and that AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL (if set) points at the "
                + "service that issued it"
        case "AccessDenied", "AllAccessDisabled", "AccountProblem":
            return "\(credentials), and that their policy allows this action on this bucket"
        case "InvalidToken", "ExpiredToken", "TokenRefreshRequired":
            return "AWS_SESSION_TOKEN is invalid or expired: refresh the temporary credentials (all three variables "
                + "together), or unset it for long-term keys"
        case "NoSuchBucket":
            return "check the bucket name, and AWS_REGION / the endpoint"
        case "NoSuchKey":
            return "check the key (keys are case-sensitive); list the prefix to see what exists"
        case "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException":
            if let region = document?.region {
                return "the bucket is in \(region): set AWS_REGION=\(region)"
            }
            if let endpoint = document?.endpoint {
                return "the bucket is served by \(endpoint): set AWS_REGION to the bucket's region"
            }
            return "set AWS_REGION to the bucket's region"
        case "RequestTimeTooSkewed":
            return "this machine's clock is off; synchronise it (signatures are valid for 15 minutes)"
        case "SlowDown", "ServiceUnavailable", "InternalError":
            return "S3 is overloaded or failing; retry later"
        default:
            switch status {
            case 301, 307: return "set AWS_REGION to the bucket's region"
            case 403: return credentials
            case 500...599: return "retry later"
            default: return nil
            }
        }
    }

    /// The error for a transfer that produced no HTTP response.
    static func transport(operation: String, _ error: HTTPFetchError, usesCustomEndpoint: Bool) -> S3Error {
        if error.code == HTTPFetchError.bodyTooLarge {
            return S3Error(
                .bodyTooLarge, operation: operation, message: error.message,
                hint: "raise the client's maxBodyBytes", url: error.url)
        }
        let hint =
            usesCustomEndpoint
            ? "check AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL and that the server is running"
            : "check the network, and AWS_REGION"
        return S3Error(
            .transport, operation: operation, message: "no response (curl \(error.code)): \(error.message)",
            hint: hint, url: error.url)
    }
}
