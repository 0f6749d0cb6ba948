import Foundation

/// Idle libcurl handles shared by the threads that send requests to one server: a handle serves one request at a
/// time, and reusing one keeps its connection (and TLS session). A request borrows an idle handle, or makes one
/// when all are busy; afterwards at most `keep` are kept. Used by the Kubernetes target and the scheduler's
/// dispatcher.
public final class FetcherPool: @unchecked Sendable {
    // @unchecked: `idle` is only touched under `lock`, and a handle is used by one thread between take and give.
    private let lock = NSLock()
    private var idle: [HTTPFetcher] = []
    private let timeout: Duration
    private let connectTimeout: Duration
    private let maxBodyBytes: Int
    private let keep: Int

    /// A pool whose handles have these limits (see `HTTPFetcher.init`).
    public init(timeout: Duration, connectTimeout: Duration = .seconds(10), maxBodyBytes: Int, keep: Int) {
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.maxBodyBytes = maxBodyBytes
        self.keep = keep
    }

    /// Sends `request` on a borrowed handle.
    public func perform(_ request: FetchRequest) throws(HTTPFetchError) -> FetchResponse {
        lock.lock()
        let reused = idle.popLast()
        lock.unlock()
        let fetcher: HTTPFetcher
        if let reused {
            fetcher = reused
        } else {
            fetcher = try HTTPFetcher(timeout: timeout, connectTimeout: connectTimeout, maxBodyBytes: maxBodyBytes)
        }
        let response = try fetcher.perform(request)
        lock.lock()
        if idle.count < keep { idle.append(fetcher) }
        lock.unlock()
        return response
    }
}
