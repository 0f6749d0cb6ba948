import CCurl

/// A completed HTTP exchange. Any status, including 4xx and 5xx, is a response rather than an error:
/// the caller decides what a 404 means.
public struct HTTPResponse: Sendable, Equatable {
    /// The HTTP status code of the (unfollowed) response.
    public let status: Int
    /// The raw body bytes, exactly as sent (no content decoding).
    public let body: [UInt8]

    /// Bundles a status and body.
    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
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

    /// "GET url failed (curl N): message".
    public var description: String {
        "GET \(url) failed (curl \(code)): \(message)"
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

/// Collects the body for the write callback and enforces the size limit.
private final class BodySink {
    var bytes: [UInt8] = []
    let limit: Int
    var exceeded = false

    init(limit: Int) {
        self.limit = limit
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
    public func get(url: String) throws(HTTPFetchError) -> HTTPResponse {
        let sink = BodySink(limit: maxBodyBytes)
        errorBuffer[0] = 0
        // Options persist on a reused handle; reset so one request's settings never leak into the next.
        curl_easy_reset(handle)
        let code: CURLcode = withExtendedLifetime(sink) {
            let setup = configure(url: url, sink: Unmanaged.passUnretained(sink).toOpaque())
            return setup == CURLE_OK ? curl_easy_perform(handle) : setup
        }
        guard code == CURLE_OK else {
            if sink.exceeded {
                throw HTTPFetchError(
                    code: HTTPFetchError.bodyTooLarge, message: "body exceeds \(maxBodyBytes) bytes", url: url)
            }
            let detail = String(cString: errorBuffer)
            throw HTTPFetchError(
                code: Int32(code.rawValue),
                message: detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail, url: url)
        }
        var status = 0
        _ = ccurl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, body: sink.bytes)
    }

    /// Sets every option for one GET; returns the first failure.
    private func configure(url: String, sink: UnsafeMutableRawPointer) -> CURLcode {
        let steps: [() -> CURLcode] = [
            { ccurl_easy_setopt_pointer(self.handle, CURLOPT_ERRORBUFFER, self.errorBuffer) },
            { ccurl_easy_setopt_string(self.handle, CURLOPT_URL, url) },
            // Only web protocols: a URL from a config file must not read file:// or talk to other services.
            { ccurl_easy_setopt_string(self.handle, CURLOPT_PROTOCOLS_STR, "http,https") },
            { ccurl_easy_setopt_long(self.handle, CURLOPT_HTTPGET, 1) },
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
                    guard length <= sink.limit - sink.bytes.count else {
                        sink.exceeded = true
                        return 0  // anything but `length` makes libcurl abort with CURLE_WRITE_ERROR
                    }
                    if let data, length > 0 {
                        sink.bytes.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length))
                    }
                    return length
                }
            },
        ]
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
