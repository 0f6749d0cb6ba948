import Foundation
/// One object in a bucket listing.
public struct S3Object: Sendable, Hashable {
    /// The full key.
    public let key: String
    /// The size in bytes.
    public let size: Int
    /// The entity tag without its quotes: the content's MD5 for single-part uploads, an opaque "<hash>-<parts>"
    /// for multipart ones. Either way it changes when the content changes, which is what resuming needs.
    public let etag: String
    /// When the object was last written, as S3 reports it: ISO 8601 in UTC, such as "2024-05-01T12:00:00.000Z".
    /// The fixed format sorts correctly as text.
    public let lastModified: String

    /// Bundles an object's listing fields.
    public init(key: String, size: Int, etag: String, lastModified: String) {
        self.key = key
        self.size = size
        self.etag = etag
        self.lastModified = lastModified
    }
}

/// Lists, reads and writes the objects of one S3 bucket, signing every request with AWS Signature Version 4.
///
/// The signing is libcurl's own (`CURLOPT_AWS_SIGV4`); this type supplies what libcurl 7.88 does not: a canonical
/// (sorted, strictly encoded) query, the `x-amz-content-sha256` header S3 requires, and the session token.
/// Not `Sendable`: it owns an `HTTPFetcher`, whose easy handle serves one thread at a time.
public final class S3Client {
    /// The bucket every request goes to.
    public let bucket: String
    /// Credentials, region and endpoint.
    public let configuration: S3Configuration
    private let fetcher: HTTPFetcher

    /// SHA-256 of the empty string: the payload hash of a request without a body.
    static let emptyPayloadSHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// A client for `bucket` that sends its requests through `fetcher`, whose `maxBodyBytes` caps what `get`
    /// accepts.
    public init(bucket: String, configuration: S3Configuration, fetcher: HTTPFetcher) throws(S3Error) {
        if let problem = S3Location.bucketProblem(bucket) {
            throw S3Error(
                .invalidLocation, operation: "bucket \"\(bucket)\"", message: problem,
                hint: "bucket names are 3-63 lowercase letters, digits, '.' and '-'")
        }
        if let token = configuration.credentials.sessionToken, token.contains(where: \.isNewline) {
            // A line break would end the header early and let the rest of the token pass as another header.
            throw S3Error(
                .invalidConfiguration, operation: "credentials", message: "AWS_SESSION_TOKEN contains a line break",
                hint: "copy the token again, without line breaks")
        }
        self.bucket = bucket
        self.configuration = configuration
        self.fetcher = fetcher
    }

    /// A client for `bucket` with its own fetcher.
    /// - Parameters:
    ///   - timeout: limit for each request, connection included.
    ///   - maxBodyBytes: largest object `get` accepts (and largest listing page).
    public convenience init(
        bucket: String, configuration: S3Configuration, timeout: Duration = .seconds(60), maxBodyBytes: Int = 1 << 30
    ) throws(S3Error) {
        let fetcher: HTTPFetcher
        do {
            fetcher = try HTTPFetcher(timeout: timeout, maxBodyBytes: maxBodyBytes)
        } catch {
            throw S3Error.transport(operation: "setup", error, usesCustomEndpoint: configuration.endpoint != nil)
        }
        try self.init(bucket: bucket, configuration: configuration, fetcher: fetcher)
    }

    /// The largest body `get` accepts; a larger object fails with `S3Error.Kind.bodyTooLarge`.
    public var maxBodyBytes: Int { fetcher.maxBodyBytes }

    /// Every object whose key starts with `prefix`, in key order, following ListObjectsV2 pagination to the end.
    /// - Parameter pageSize: keys per request, 1 to 1000; nil leaves S3's default of 1000.
    public func list(prefix: String = "", pageSize: Int? = nil) throws(S3Error) -> [S3Object] {
        precondition(pageSize.map { (1...1000).contains($0) } ?? true, "pageSize must be 1...1000")
        let operation = "LIST \(try location(prefix, operation: "LIST"))"
        var objects: [S3Object] = []
        var token: String?
        while true {
            var query: [(name: String, value: String)] = [("list-type", "2")]
            if !prefix.isEmpty { query.append(("prefix", prefix)) }
            if let pageSize { query.append(("max-keys", String(pageSize))) }
            if let token { query.append(("continuation-token", token)) }
            let url = configuration.url(bucket: bucket, key: "", query: query)
            let response = try send(.get, operation: operation, url: url)
            guard response.status == 200 else {
                throw S3Error.service(operation: operation, status: response.status, body: response.body, url: url)
            }
            let page: S3XML.ListPage
            do {
                page = try S3XML.listPage(response.body)
            } catch {
                throw malformed(operation: operation, reason: error.reason, url: url)
            }
            objects += page.objects
            guard page.isTruncated else { return objects }
            // Without a fresh token the next request would repeat this page forever.
            guard let next = page.nextContinuationToken, next != token else {
                throw malformed(
                    operation: operation, reason: "a truncated page without a new <NextContinuationToken>", url: url)
            }
            token = next
        }
    }

    /// The bytes of the object at `key`, exactly as stored (a gzip object stays compressed).
    public func get(key: String) throws(S3Error) -> [UInt8] {
        let operation = "GET \(try location(key, operation: "GET", needsKey: true))"
        let url = configuration.url(bucket: bucket, key: key)
        let response = try send(.get, operation: operation, url: url)
        guard response.status == 200 else {
            throw S3Error.service(operation: operation, status: response.status, body: response.body, url: url)
        }
        return response.body
    }

    /// Writes the bytes of the object at `key`, exactly as stored, to the open file `file` as they arrive (up to
    /// `maxBodyBytes`), so an object of any size takes no memory.
    public func download(key: String, to file: Int32) throws(S3Error) {
        let operation = "GET \(try location(key, operation: "GET", needsKey: true))"
        let url = configuration.url(bucket: bucket, key: key)
        let response = try send(.get, operation: operation, url: url, bodyTo: file)
        guard response.status == 200 else {
            // The error document went to the file: read it back (it is small) for the message.
            var body = [UInt8](repeating: 0, count: 4096)
            let count = pread(file, &body, body.count, 0)
            throw S3Error.service(operation: operation, status: response.status, body: Array(body.prefix(max(0, count))),
                                  url: url)
        }
    }

    /// Stores `bytes` at `key`, replacing any object there.
    ///
    /// The payload is sent as `UNSIGNED-PAYLOAD` (S3 accepts it in header-signed requests): libcurl can hash only
    /// in-memory POST fields, not an upload, and there is no SHA-256 here to do it. TLS still protects the content
    /// on its way to AWS.
    /// - Parameters:
    ///   - contentType: stored with the object and returned as `Content-Type` to HTTP clients.
    ///   - contentEncoding: such as "gzip", stored and returned as `Content-Encoding`.
    public func put(
        key: String, bytes: [UInt8], contentType: String = "application/octet-stream", contentEncoding: String? = nil
    ) throws(S3Error) {
        let operation = "PUT \(try location(key, operation: "PUT", needsKey: true))"
        var headers = ["Content-Type: \(contentType)"]
        if let contentEncoding { headers.append("Content-Encoding: \(contentEncoding)") }
        guard !headers.contains(where: { $0.contains(where: \.isNewline) }) else {
            throw S3Error(
                .invalidLocation, operation: operation, message: "the content type or encoding contains a line break")
        }
        let url = configuration.url(bucket: bucket, key: key)
        let response = try send(.put, operation: operation, url: url, body: bytes, headers: headers)
        guard response.status == 200 else {
            throw S3Error.service(operation: operation, status: response.status, body: response.body, url: url)
        }
    }

    /// The checked location of a key or prefix, for error messages.
    private func location(_ key: String, operation: String, needsKey: Bool = false) throws(S3Error) -> S3Location {
        let location = try S3Location(bucket: bucket, key: key)
        if needsKey && key.isEmpty {
            throw S3Error(
                .invalidLocation, operation: "\(operation) \(location)", message: "no object key",
                hint: "name an object, such as s3://\(bucket)/path/file.json")
        }
        return location
    }

    /// Sends one signed request; every S3 request carries the payload hash and, for temporary credentials, the token.
    private func send(
        _ method: FetchRequest.Method, operation: String, url: String, body: [UInt8] = [], headers: [String] = [],
        bodyTo file: Int32? = nil
    ) throws(S3Error) -> FetchResponse {
        var headers = headers
        headers.append("x-amz-content-sha256: \(method == .put ? "UNSIGNED-PAYLOAD" : Self.emptyPayloadSHA256)")
        let credentials = configuration.credentials
        if let token = credentials.sessionToken {
            headers.append("x-amz-security-token: \(token)")
        }
        let request = FetchRequest(
            method: method, url: url, headers: headers, body: body,
            signing: AWSSigV4Signing(
                provider: "aws:amz:\(configuration.region):s3", accessKeyID: credentials.accessKeyID,
                secretAccessKey: credentials.secretAccessKey),
            pathAsIs: true)
        do {
            if let file { return try fetcher.perform(request, bodyTo: file) }
            return try fetcher.perform(request)
        } catch {
            throw S3Error.transport(operation: operation, error, usesCustomEndpoint: configuration.endpoint != nil)
        }
    }

    private func malformed(operation: String, reason: String, url: String) -> S3Error {
        S3Error(
            .malformedResponse, operation: operation, message: reason,
            hint: configuration.endpoint == nil
                ? "retry; if it persists, report it with the URL"
                : "check that AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL points at an S3-compatible service",
            url: url)
    }
}
