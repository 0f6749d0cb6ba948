import CCurl
import Foundation

/// One response header line, split at its first colon; the value has surrounding white space trimmed.
public struct HTTPHeader: Sendable, Equatable {
    /// The name as the server spelled it (HTTP names are case-insensitive: compare with `FetchResponse.header`).
    public let name: String
    /// The value.
    public let value: String

    /// Bundles a name and value.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// A completed HTTP exchange. Any status, including 4xx and 5xx, is a response rather than an error:
/// the caller decides what a 404 means.
public struct FetchResponse: Sendable, Equatable {
    /// The HTTP status code of the (unfollowed) response.
    public let status: Int
    /// The raw body bytes, exactly as sent (no content decoding).
    public let body: [UInt8]
    /// The final response's headers in the order received (those of an interim `100 Continue` are dropped).
    public let headers: [HTTPHeader]

    /// Bundles a status, body and headers.
    public init(status: Int, body: [UInt8], headers: [HTTPHeader] = []) {
        self.status = status
        self.body = body
        self.headers = headers
    }

    /// The value of the first header called `name`, compared case-insensitively; nil when there is none.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }
}

/// A transfer that produced no HTTP response: bad URL, refused connection, timeout, TLS failure, ...
public struct HTTPFetchError: Error, Equatable, CustomStringConvertible {
    /// The `CURLcode` (for example 7 = couldn't connect, 28 = timeout).
    public let code: Int32
    /// libcurl's detailed error-buffer text, or its generic text for the code when the buffer is empty.
    public let message: String
    /// The URL that was requested.
    public let url: String
    /// The request method, such as "GET" or "PUT".
    public let method: String

    init(code: Int32, message: String, url: String, method: String = "GET") {
        self.code = code
        self.message = message
        self.url = url
        self.method = method
    }

    /// "METHOD url failed (curl N): message".
    public var description: String {
        "\(method) \(url) failed (curl \(code)): \(message)"
    }

    /// The code libcurl uses for a refused or unreachable connection.
    public static let couldNotConnect = Int32(CURLE_COULDNT_CONNECT.rawValue)
    /// The code libcurl uses when the timeout expires.
    public static let timedOut = Int32(CURLE_OPERATION_TIMEDOUT.rawValue)
    /// The code used when the body exceeds `HTTPFetcher.maxBodyBytes`.
    public static let bodyTooLarge = Int32(CURLE_WRITE_ERROR.rawValue)
}

/// curl_global_init is not thread-safe and must run once before any handle exists; a global's lazy,
/// once-only initialisation gives exactly that.
private let curlGlobalInitCode: Int32 = Int32(curl_global_init(Int(CURL_GLOBAL_DEFAULT)).rawValue)

/// PEM files for a TLS connection; nil fields use libcurl's defaults (the system CA store, no client certificate).
public struct TLSFiles: Sendable, Equatable {
    /// CA certificates the server's certificate must chain to, instead of the system store.
    public var caBundle: String?
    /// The client certificate presented to servers that ask for one.
    public var clientCertificate: String?
    /// The client certificate's private key (unencrypted).
    public var clientKey: String?

    /// Bundles the file paths.
    public init(caBundle: String? = nil, clientCertificate: String? = nil, clientKey: String? = nil) {
        self.caBundle = caBundle
        self.clientCertificate = clientCertificate
        self.clientKey = clientKey
    }
}

/// One HTTP request: method, URL, headers, body and the credentials to send it with.
public struct FetchRequest: Sendable {
    /// The methods `HTTPFetcher` sends.
    public enum Method: String, Sendable {
        case get = "GET"
        case post = "POST"
        case put = "PUT"
        case patch = "PATCH"
        case delete = "DELETE"
    }

    /// The method.
    public var method: Method
    /// An `http://` or `https://` URL.
    public var url: String
    /// "Name: value" lines; libcurl adds them to its own headers, or replaces its own of the same name.
    /// Give a Content-Type with a POST or PATCH body: libcurl would otherwise claim a form.
    public var headers: [String]
    /// The body of a POST, PUT, PATCH or DELETE (ignored for GET).
    public var body: [UInt8]
    /// Sent as `Authorization: Bearer <token>`.
    public var bearerToken: String?
    /// The CA bundle and client certificate for `https://`.
    public var tls: TLSFiles
    /// Sends the path exactly as given: libcurl otherwise resolves "." and ".." segments, which are ordinary
    /// characters in an S3 key, and would fetch a different object.
    public var pathAsIs: Bool
    var signing: AWSSigV4Signing?

    /// A request; everything but the URL is optional.
    public init(
        method: Method = .get, url: String, headers: [String] = [], body: [UInt8] = [], bearerToken: String? = nil,
        tls: TLSFiles = TLSFiles(), pathAsIs: Bool = false
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.bearerToken = bearerToken
        self.tls = tls
        self.pathAsIs = pathAsIs
    }

    /// A request signed with AWS Signature Version 4 (the S3 client's).
    init(method: Method, url: String, headers: [String], body: [UInt8], signing: AWSSigV4Signing, pathAsIs: Bool) {
        self.init(method: method, url: url, headers: headers, body: body, pathAsIs: pathAsIs)
        self.signing = signing
    }

    /// Every header line sent, the bearer token's included.
    var headerLines: [String] {
        bearerToken.map { headers + ["Authorization: Bearer \($0)"] } ?? headers
    }
}

/// Credentials for libcurl's built-in AWS Signature Version 4 (`CURLOPT_AWS_SIGV4`).
///
/// libcurl signs the method, the URL's path and query exactly as written, `Host`, `X-Amz-Date` (which it adds)
/// and every header in `FetchRequest.headers`; the payload hash is taken from an `x-amz-content-sha256` header
/// when one is given. libcurl 7.88 neither sorts nor re-encodes the query, so callers must pass a canonical one,
/// and it signs a header-removing "Name:" line that it then does not send, so callers must not pass one.
struct AWSSigV4Signing: Sendable {
    /// "aws:amz:<region>:<service>".
    var provider: String
    var accessKeyID: String
    var secretAccessKey: String
}

/// Hands the upload body to libcurl's read callback piece by piece.
private final class UploadSource {
    let bytes: [UInt8]
    var offset = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }
}

/// Collects the body for the write callback, enforcing the size limit, and the header lines for the header callback.
private final class BodySink {
    var bytes: [UInt8] = []
    var headers: [HTTPHeader] = []
    let limit: Int
    var exceeded = false
    /// When not -1, the body is written here instead of kept in `bytes`.
    let file: Int32
    var written = 0
    /// errno of a failed write to `file`.
    var writeFailure: Int32 = 0
    /// When set, each piece of the body goes here as it arrives (a stream with no end of its own, such as a
    /// Kubernetes watch), with no size limit: the receiver bounds what it keeps. False ends the transfer.
    let receiver: ((UnsafeRawBufferPointer) -> Bool)?
    /// Whether the receiver ended the transfer (not a failure).
    var stoppedByReceiver = false

    init(limit: Int, file: Int32 = -1, receiver: ((UnsafeRawBufferPointer) -> Bool)? = nil) {
        self.limit = limit
        self.file = file
        self.receiver = receiver
    }

    /// Takes one piece of the body; false stops the transfer (too large, or the file cannot take it).
    func take(_ data: UnsafeRawBufferPointer) -> Bool {
        if let receiver {
            stoppedByReceiver = !receiver(data)
            return !stoppedByReceiver
        }
        guard data.count <= limit - written else {
            exceeded = true
            return false
        }
        written += data.count
        guard file >= 0 else {
            bytes.append(contentsOf: data)
            return true
        }
        var done = 0
        while done < data.count {
            let wrote = write(file, data.baseAddress! + done, data.count - done)
            if wrote < 0 {
                if errno == EINTR { continue }
                writeFailure = errno
                return false
            }
            done += wrote
        }
        return true
    }
}

/// Fetches URLs with one reusable libcurl easy handle (kept connections make repeated fetches cheaper).
///
/// Redirects are not followed, so a moved resource shows up as its 3xx status instead of silently
/// fetching somewhere else. Not `Sendable`: an easy handle must not be used by two threads at once.
public final class HTTPFetcher {
    private let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let timeoutMilliseconds: Int
    private let connectTimeoutMilliseconds: Int
    /// Bodies larger than this fail with `HTTPFetchError.bodyTooLarge` instead of exhausting memory.
    public let maxBodyBytes: Int

    /// Creates a fetcher.
    /// - Parameters:
    ///   - timeout: limit for a whole transfer, connection included.
    ///   - connectTimeout: limit for establishing the connection.
    ///   - maxBodyBytes: largest body accepted.
    public init(
        timeout: Duration = .seconds(60), connectTimeout: Duration = .seconds(10), maxBodyBytes: Int = 1 << 30
    ) throws(HTTPFetchError) {
        guard curlGlobalInitCode == 0 else {
            throw HTTPFetchError(code: curlGlobalInitCode, message: "curl_global_init failed", url: "")
        }
        guard let handle = curl_easy_init() else {
            throw HTTPFetchError(code: Int32(CURLE_FAILED_INIT.rawValue), message: "curl_easy_init failed", url: "")
        }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        timeoutMilliseconds = Self.milliseconds(timeout)
        connectTimeoutMilliseconds = Self.milliseconds(connectTimeout)
        self.maxBodyBytes = maxBodyBytes
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Performs a GET and returns the status and body; throws only when no HTTP response was received.
    ///
    /// Only `http://` and `https://` URLs are fetched. `s3://` locations need signed requests: read them with
    /// `S3Client`, which uses this type underneath.
    public func get(url: String) throws(HTTPFetchError) -> FetchResponse {
        if url.lowercased().hasPrefix("s3://") {
            // libcurl would only say "protocol not supported"; name the type that can read it.
            throw HTTPFetchError(
                code: Int32(CURLE_UNSUPPORTED_PROTOCOL.rawValue),
                message: "s3:// locations need signed requests: read them with S3Client", url: url)
        }
        return try perform(FetchRequest(url: url))
    }

    /// Sends a request and returns the status, body and headers; throws only when no HTTP response was received
    /// (or the request itself is malformed, such as a header line holding a line break).
    public func perform(_ request: FetchRequest) throws(HTTPFetchError) -> FetchResponse {
        try perform(request, sink: BodySink(limit: maxBodyBytes))
    }

    /// Sends a request and writes the body (whatever the status) to the open file `file` as it arrives, so a
    /// body of any size (up to `maxBodyBytes`) takes no memory; the response's `body` is empty.
    public func perform(_ request: FetchRequest, bodyTo file: Int32) throws(HTTPFetchError) -> FetchResponse {
        try perform(request, sink: BodySink(limit: maxBodyBytes, file: file))
    }

    /// Sends a request and hands the body to `receive` piece by piece as it arrives, for a response that streams
    /// (a Kubernetes watch): nothing is kept and no body limit applies, so the receiver must bound what it
    /// buffers. `receive` returning false ends the transfer early, which is not an error. The result has the
    /// status and headers; its body is empty. The fetcher's timeout still ends the whole transfer.
    public func perform(
        _ request: FetchRequest, streaming receive: (UnsafeRawBufferPointer) -> Bool
    ) throws(HTTPFetchError) -> FetchResponse {
        let result: Result<FetchResponse, HTTPFetchError> = withoutActuallyEscaping(receive) { receiver in
            do throws(HTTPFetchError) {
                return .success(try perform(request, sink: BodySink(limit: Int.max, receiver: receiver)))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private func perform(_ request: FetchRequest, sink: BodySink) throws(HTTPFetchError) -> FetchResponse {
        let source = UploadSource(bytes: request.body)
        errorBuffer[0] = 0
        // Options persist on a reused handle; reset so one request's settings never leak into the next.
        curl_easy_reset(handle)

        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        for line in request.headerLines {
            // A line break would smuggle a second header (or a second request) past the caller: a token file
            // with a stray "\r\n" must fail here, not be sent.
            if line.utf8.contains(where: { $0 == 10 || $0 == 13 }) {
                throw HTTPFetchError(
                    code: Int32(CURLE_BAD_FUNCTION_ARGUMENT.rawValue),
                    message: "header \"\(line.prefix { $0 != ":" })\" contains a line break; remove it",
                    url: request.url, method: request.method.rawValue)
            }
            guard let extended = curl_slist_append(headerList, line) else {
                throw HTTPFetchError(
                    code: Int32(CURLE_OUT_OF_MEMORY.rawValue), message: "could not build the header list",
                    url: request.url, method: request.method.rawValue)
            }
            headerList = extended
        }

        let code: CURLcode = withExtendedLifetime((sink, source)) {
            let setup = configure(
                request, headers: headerList.map { UnsafeMutableRawPointer($0) },
                sink: Unmanaged.passUnretained(sink).toOpaque(), source: Unmanaged.passUnretained(source).toOpaque())
            return setup == CURLE_OK ? curl_easy_perform(handle) : setup
        }
        guard code == CURLE_OK || (code == CURLE_WRITE_ERROR && sink.stoppedByReceiver) else {
            if sink.exceeded {
                throw HTTPFetchError(
                    code: HTTPFetchError.bodyTooLarge, message: "body exceeds \(maxBodyBytes) bytes", url: request.url,
                    method: request.method.rawValue)
            }
            if sink.writeFailure != 0 {
                throw HTTPFetchError(
                    code: Int32(CURLE_WRITE_ERROR.rawValue),
                    message: "cannot write the body to disk: \(String(cString: strerror(sink.writeFailure)))",
                    url: request.url, method: request.method.rawValue)
            }
            let detail = String(cString: errorBuffer)
            throw HTTPFetchError(
                code: Int32(code.rawValue),
                message: detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail, url: request.url,
                method: request.method.rawValue)
        }
        var status = 0
        _ = ccurl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return FetchResponse(status: status, body: sink.bytes, headers: sink.headers)
    }

    /// Sets every option for one request; returns the first failure.
    private func configure(
        _ request: FetchRequest, headers: UnsafeMutableRawPointer?, sink: UnsafeMutableRawPointer,
        source: UnsafeMutableRawPointer
    ) -> CURLcode {
        var steps: [() -> CURLcode] = [
            { ccurl_easy_setopt_pointer(self.handle, CURLOPT_ERRORBUFFER, self.errorBuffer) },
            { ccurl_easy_setopt_string(self.handle, CURLOPT_URL, request.url) },
            // Only web protocols: a URL from a config file must not read file:// or talk to other services.
            { ccurl_easy_setopt_string(self.handle, CURLOPT_PROTOCOLS_STR, "http,https") },
            { ccurl_easy_setopt_long(self.handle, CURLOPT_FOLLOWLOCATION, 0) },
            { ccurl_easy_setopt_long(self.handle, CURLOPT_TIMEOUT_MS, self.timeoutMilliseconds) },
            { ccurl_easy_setopt_long(self.handle, CURLOPT_CONNECTTIMEOUT_MS, self.connectTimeoutMilliseconds) },
            // Without this, libcurl uses SIGALRM for DNS timeouts, which is unsafe in a threaded process.
            { ccurl_easy_setopt_long(self.handle, CURLOPT_NOSIGNAL, 1) },
            { ccurl_easy_setopt_string(self.handle, CURLOPT_USERAGENT, "bursar") },
            { ccurl_easy_setopt_pointer(self.handle, CURLOPT_WRITEDATA, sink) },
            {
                ccurl_easy_setopt_write_callback(self.handle, CURLOPT_WRITEFUNCTION) { data, size, count, context in
                    let sink = Unmanaged<BodySink>.fromOpaque(context!).takeUnretainedValue()
                    let length = size * count
                    guard let data, length > 0 else { return length }
                    // Anything but `length` makes libcurl abort with CURLE_WRITE_ERROR.
                    return sink.take(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
                }
            },
            { ccurl_easy_setopt_pointer(self.handle, CURLOPT_HEADERDATA, sink) },
            {
                // Same C shape as the write callback: one header line per call, CRLF included.
                ccurl_easy_setopt_write_callback(self.handle, CURLOPT_HEADERFUNCTION) { data, size, count, context in
                    let sink = Unmanaged<BodySink>.fromOpaque(context!).takeUnretainedValue()
                    let length = size * count
                    guard let data, length > 0 else { return length }
                    let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
                    if line.hasPrefix("HTTP/") {
                        sink.headers.removeAll()  // a new response starts (after 100 Continue): keep only the final one
                    } else if let colon = line.firstIndex(of: ":") {
                        let name = String(line[..<colon])
                        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
                        sink.headers.append(HTTPHeader(name: name, value: value))
                    }
                    return length
                }
            },
        ]
        let readBody: [() -> CURLcode] = [
            { ccurl_easy_setopt_pointer(self.handle, CURLOPT_READDATA, source) },
            {
                ccurl_easy_setopt_read_callback(self.handle, CURLOPT_READFUNCTION) { buffer, size, count, context in
                    let source = Unmanaged<UploadSource>.fromOpaque(context!).takeUnretainedValue()
                    let length = min(size * count, source.bytes.count - source.offset)
                    guard let buffer, length > 0 else { return 0 }
                    source.bytes.withUnsafeBytes { bytes in
                        UnsafeMutableRawPointer(buffer).copyMemory(
                            from: bytes.baseAddress! + source.offset, byteCount: length)
                    }
                    source.offset += length
                    return length
                }
            },
        ]
        // A POST reading its body from the callback; PATCH and a DELETE with a body are the same with another verb.
        let postBody: [() -> CURLcode] =
            [
                { ccurl_easy_setopt_long(self.handle, CURLOPT_POST, 1) },
                {
                    ccurl_easy_setopt_off_t(
                        self.handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count))
                },
            ] + readBody
        switch request.method {
        case .get:
            steps.append { ccurl_easy_setopt_long(self.handle, CURLOPT_HTTPGET, 1) }
        case .post:
            steps += postBody
        case .patch:
            steps += postBody + [{ ccurl_easy_setopt_string(self.handle, CURLOPT_CUSTOMREQUEST, "PATCH") }]
        case .delete:
            if !request.body.isEmpty { steps += postBody }
            steps.append { ccurl_easy_setopt_string(self.handle, CURLOPT_CUSTOMREQUEST, "DELETE") }
        case .put:
            // CURLOPT_UPLOAD is libcurl's PUT; a custom "PUT" method string on a POST would add a form Content-Type.
            steps += [
                { ccurl_easy_setopt_long(self.handle, CURLOPT_UPLOAD, 1) },
                { ccurl_easy_setopt_off_t(self.handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(request.body.count)) },
            ] + readBody
        }
        if let caBundle = request.tls.caBundle {
            steps.append { ccurl_easy_setopt_string(self.handle, CURLOPT_CAINFO, caBundle) }
        }
        if let certificate = request.tls.clientCertificate {
            steps.append { ccurl_easy_setopt_string(self.handle, CURLOPT_SSLCERT, certificate) }
        }
        if let key = request.tls.clientKey {
            steps.append { ccurl_easy_setopt_string(self.handle, CURLOPT_SSLKEY, key) }
        }
        if let headers {
            steps.append { ccurl_easy_setopt_pointer(self.handle, CURLOPT_HTTPHEADER, headers) }
        }
        if request.pathAsIs {
            steps.append { ccurl_easy_setopt_long(self.handle, CURLOPT_PATH_AS_IS, 1) }
        }
        if let signing = request.signing {
            // USERNAME and PASSWORD rather than USERPWD "key:secret", so a ':' in either cannot split them wrongly.
            steps += [
                { ccurl_easy_setopt_string(self.handle, CURLOPT_AWS_SIGV4, signing.provider) },
                { ccurl_easy_setopt_string(self.handle, CURLOPT_USERNAME, signing.accessKeyID) },
                { ccurl_easy_setopt_string(self.handle, CURLOPT_PASSWORD, signing.secretAccessKey) },
            ]
        }
        for step in steps {
            let code = step()
            if code != CURLE_OK { return code }
        }
        return CURLE_OK
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        let ms = seconds.multipliedReportingOverflow(by: 1000)
        guard !ms.overflow else { return Int.max }
        return max(1, Int(ms.partialValue + attoseconds / 1_000_000_000_000_000))
    }
}
