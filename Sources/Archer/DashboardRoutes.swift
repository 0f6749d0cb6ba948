import Dashboards
import Foundation
import HTTPTypes
import Hummingbird
import InsightStore
import Logging
import NIOCore
import Routing
import Synchronization

/// The dashboards' data on the router: a snapshot read on a thread of its own (with its own store connection,
/// so a slow read never holds up submissions), kept for `maxAge` and then refreshed in the background while
/// pages go on rendering from the one they have; pages render on a second thread with a second connection (the
/// workflow page reads its runs × jobs on demand).
final class DashboardData: Sendable {
    private struct Cache {
        var snapshot: DashboardSnapshot?
        var loadedAt: ContinuousClock.Instant?
        var loading = false
        var waiting: [CheckedContinuation<DashboardSnapshot, any Error>] = []
    }

    private let location: StoreLocation
    private let maxAge: Duration
    private let now: @Sendable () -> Int64
    private let logger: Logger
    private let cache = Mutex(Cache())
    private let loadQueue = DispatchQueue(label: "bursar.dashboards.load")
    private let renderQueue = DispatchQueue(label: "bursar.dashboards.render")
    private let loadStore = Mutex<InsightStore?>(nil)
    private let renderStore = Mutex<InsightStore?>(nil)
    let site = DashboardSite()

    init(location: StoreLocation, maxAge: Duration, now: @escaping @Sendable () -> Int64, logger: Logger) {
        self.logger = logger
        self.location = location
        self.maxAge = maxAge
        self.now = now
    }

    /// The newest snapshot: the cached one while it is fresh, the cached one and a refresh behind it when it is
    /// stale, a wait for the first read when there is none.
    func snapshot() async throws -> DashboardSnapshot {
        let (cached, start): (DashboardSnapshot?, Bool) = cache.withLock { cache in
            let fresh = cache.loadedAt.map { ContinuousClock.now - $0 < maxAge } ?? false
            guard !fresh && !cache.loading else { return (cache.snapshot, false) }
            cache.loading = true
            return (cache.snapshot, true)
        }
        if start { load() }
        if let cached { return cached }
        return try await withCheckedThrowingContinuation { continuation in
            // The read may have ended (or failed) since: take its snapshot, or wait for one, starting a read if
            // none is under way, so no caller waits for a read that will never come.
            let (ready, startAnother): (DashboardSnapshot?, Bool) = cache.withLock { cache in
                if let snapshot = cache.snapshot { return (snapshot, false) }
                cache.waiting.append(continuation)
                guard !cache.loading else { return (nil, false) }
                cache.loading = true
                return (nil, true)
            }
            if let ready { continuation.resume(returning: ready) }
            if startAnother { load() }
        }
    }

    private func load() {
        loadQueue.async { [self] in
            let started = ContinuousClock.now
            let result = Result { try withStore(loadStore) { try DashboardSnapshot.load(from: $0, now: now()) } }
            switch result {
            case .success:
                logger.debug("dashboards: snapshot read", metadata: ["seconds": .string("\(ContinuousClock.now - started)")])
            case .failure(let error):
                logger.warning("dashboards: reading the snapshot failed; pages keep the previous one", metadata: ["error": .string("\(error)")])
            }
            let waiting = cache.withLock { cache in
                cache.loading = false
                if case .success(let snapshot) = result {
                    cache.snapshot = snapshot
                    cache.loadedAt = .now
                }
                let waiting = cache.waiting
                cache.waiting = []
                return waiting
            }
            for continuation in waiting { continuation.resume(with: result) }
        }
    }

    /// Renders on the render thread, with a store for the workflow page's details.
    func render<T: Sendable>(_ body: @escaping @Sendable (any WorkflowDetailSource) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            renderQueue.async { [self] in
                continuation.resume(with: Result { try withStore(renderStore) { try body(StoreWorkflowDetails($0)) } })
            }
        }
    }

    /// Runs `body` with the connection in `slot`, opening it first; a failure drops it, so the next call reopens.
    private func withStore<T>(_ slot: borrowing Mutex<InsightStore?>, _ body: (InsightStore) throws -> T) throws -> T {
        // Only this queue's thread touches its slot; the mutex makes that plain to the compiler.
        let store = try slot.withLock { current -> UncheckedStore in
            if let current { return UncheckedStore(store: current) }
            let opened = try InsightStore(location)
            current = opened
            return UncheckedStore(store: opened)
        }
        do {
            return try body(store.store)
        } catch {
            slot.withLock { $0 = nil }
            throw error
        }
    }

    private struct UncheckedStore: @unchecked Sendable { let store: InsightStore }
}

extension Archer {
    static let sessionCookie = "bursar_session"

    /// `/dashboards/…`: the pages for any authenticated caller (a bearer token, or the session cookie set by
    /// signing in), the sign-in form, and signing out.
    func addDashboardRoutes(to router: Router<ArcherContext>) {
        router.get("dashboards") { request, _ in
            // Pages link to each other relatively, so the folder needs its slash.
            guard request.uri.path.hasSuffix("/") else { return Self.redirect(to: "/dashboards/") }
            return try await self.dashboardPage(request, path: "")
        }
        router.get("dashboards/login") { request, _ in
            let next = Self.safeNext(Self.formFields(request.uri.query ?? "")["next"])
            return Self.html(.ok, self.dashboards.site.loginPage(message: nil, next: next))
        }
        router.post("dashboards/login") { request, context in try await self.signIn(request, context) }
        router.post("dashboards/logout") { request, _ in
            try Self.checkSameOrigin(request)
            var fields = Self.securityHeaders()
            fields[.location] = "login"
            fields[.setCookie] = "\(Self.sessionCookie)=; Path=/dashboards; HttpOnly; SameSite=Strict; Max-Age=0"
            return Response(status: .seeOther, headers: fields)
        }
        router.get("dashboards/{page}") { request, context in
            try await self.dashboardPage(request, path: context.parameters.get("page") ?? "")
        }
    }

    private func dashboardPage(_ request: Request, path: String) async throws -> Response {
        let wantsHTML = !(path.hasSuffix(".csv") || path.hasSuffix(".json"))
        guard let principal = dashboardCaller(request) else {
            if wantsHTML {
                let here = path.isEmpty ? "./" : path + (request.uri.query.map { "?" + $0 } ?? "")
                return Self.redirect(to: "login?next=" + Self.formEscaped(here))
            }
            throw APIError.unauthenticated("sign in at /dashboards/login, or send Authorization: Bearer <token>")
        }
        let (view, format): (DashboardView, DashboardFormat)
        do {
            (view, format) = try DashboardView.parse(path: path, query: request.uri.query)
        } catch {
            return try problem(.badRequest, error, html: wantsHTML)
        }
        let snapshot = try await dashboards.snapshot()
        let site = dashboards.site
        let session = DashboardSite.Session(principal: principal.name, logoutHref: "logout")
        do {
            let rendered = try await dashboards.render { details in
                try site.render(view, format: format, snapshot: snapshot, details: details, linker: .server, session: session)
            }
            var fields = Self.securityHeaders()
            fields[.contentType] = rendered.contentType
            return Response(status: .ok, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: rendered.body)))
        } catch let error as DashboardRequestError {
            return try problem(.notFound, error, html: wantsHTML)
        }
    }

    /// The caller of a dashboard request: a bearer token, else a valid session cookie.
    func dashboardCaller(_ request: Request) -> Principal? {
        if let header = request.headers[.authorization] {
            return BearerAuthentication.bearerToken(header).flatMap { options.tokens.principal(bearer: $0) }
        }
        guard let cookie = request.headers[.cookie], cookie.utf8.count <= 8192 else { return nil }
        for pair in cookie.split(separator: ";") {
            let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0] == Self.sessionCookie {
                return options.tokens.principal(session: String(parts[1]), now: now())
            }
        }
        return nil
    }

    private func signIn(_ request: Request, _ context: ArcherContext) async throws -> Response {
        try Self.checkSameOrigin(request)
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: 8192)
        } catch {
            throw APIError.tooLarge(limit: 8192)
        }
        let fields = Self.formFields(String(decoding: body.readableBytesView, as: UTF8.self))
        let next = Self.safeNext(fields["next"])
        let token = (fields["token"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard let session = options.tokens.session(token: token, now: now()) else {
            authFailures.record(.unknownToken, request, context)
            return Self.html(.unauthorized, dashboards.site.loginPage(message: "That token is not known. Check it, or ask an admin for a new one.", next: next))
        }
        var headers = Self.securityHeaders()
        headers[.location] = next
        // Secure whenever the router is reached other than on loopback (browsers keep Secure cookies only over HTTPS).
        let secure = ["127.0.0.1", "localhost", "::1"].contains(options.host) ? "" : "; Secure"
        headers[.setCookie] = "\(Self.sessionCookie)=\(session); Path=/dashboards; HttpOnly; SameSite=Strict; Max-Age=\(TokenBook.sessionLifetimeMillis / 1000)\(secure)"
        return Response(status: .seeOther, headers: headers)
    }

    /// A form post from another site is refused (SameSite keeps the cookie from it; this keeps the sign-in form
    /// itself from being driven by one).
    private static func checkSameOrigin(_ request: Request) throws {
        guard let origin = request.headers[.origin], origin != "null" else { return }
        let host = request.head.authority ?? ""
        guard origin == "http://\(host)" || origin == "https://\(host)" else {
            throw APIError.forbidden("a dashboard form was posted from another origin (\(origin)); sign in from the router's own page")
        }
    }

    /// Where to go after signing in: a page of the dashboards named relatively, else the overview.
    static func safeNext(_ next: String?) -> String {
        guard let next, !next.isEmpty, next.utf8.count <= 1024, !next.contains("//"), !next.contains(":"), !next.hasPrefix("/"),
              !next.contains("\\"), next.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else { return "./" }
        return next
    }

    /// `application/x-www-form-urlencoded` fields (the first of each name).
    static func formFields(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&").prefix(32) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (part: Substring) in DashboardView.percentDecoded(part) ?? "" }
            let name = decode(parts[0])
            if fields[name] == nil { fields[name] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return fields
    }

    static func formEscaped(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? ""
    }

    /// No script, no framing, no sniffing, no caching of what a session shows.
    static func securityHeaders() -> HTTPFields {
        var fields = HTTPFields()
        fields[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        fields[.xContentTypeOptions] = "nosniff"
        fields[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        fields[.cacheControl] = "no-store"
        return fields
    }

    private static func redirect(to location: String) -> Response {
        var fields = securityHeaders()
        fields[.location] = location
        return Response(status: .seeOther, headers: fields)
    }

    private static func html(_ status: HTTPResponse.Status, _ text: String) -> Response {
        var fields = securityHeaders()
        fields[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// A bad filter or an unknown page: a page saying so for a browser, the API's JSON shape for data.
    private func problem(_ status: HTTPResponse.Status, _ error: DashboardRequestError, html wantsHTML: Bool) throws -> Response {
        guard wantsHTML else {
            throw status == .notFound ? APIError.notFound(error.description) : APIError.badRequest("invalid_filter", error.message, field: error.field)
        }
        return Self.html(status, dashboards.site.problemPage(error.description))
    }
}
