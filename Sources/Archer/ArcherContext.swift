import Foundation
public import Hummingbird
import Logging
import NIOCore
public import Routing

/// The request context: Hummingbird's core storage plus the caller, once authenticated.
public struct ArcherContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated caller (nil on the open endpoints: health, metrics, validate-conf).
    public var principal: Principal?
    /// The connection, for the peer's address in logs (read only when something is logged).
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        principal = nil
        channel = source.channel
    }

    /// The peer's address, `ip:port`.
    var remote: String { channel.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?" }
}

/// Bearer-token authentication for `/v1/…`: the token is hashed and looked up in the tokens file's book;
/// tokens themselves are never stored. Health, metrics and validate-conf stay open, as YuniKorn's are.
/// Every refusal is counted (`bursar_auth_failures_total{reason}`) and logged, a flood as one line every few
/// seconds; the token is never logged, nor anything derived from it.
struct BearerAuthentication: RouterMiddleware {
    typealias Context = ArcherContext
    let tokens: TokenBook
    let failures: AuthFailureLog

    func handle(_ request: Request, context: ArcherContext,
                next: (Request, ArcherContext) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            failures.record(.missing, request, context)
            throw APIError.unauthenticated("no Authorization header; send Authorization: Bearer <token> (an admin creates tokens with `bursar token new`)")
        }
        guard let token = Self.bearerToken(header) else {
            failures.record(.notBearer, request, context)
            throw APIError.unauthenticated("the Authorization header is not a bearer token; send Authorization: Bearer <token>")
        }
        guard let principal = tokens.principal(bearer: token) else {
            failures.record(.unknownToken, request, context)
            throw APIError.unauthenticated("the bearer token is not known; check it, or ask an admin for a new one")
        }
        var context = context
        context.principal = principal
        context.logger[metadataKey: "principal"] = .string(principal.name)
        return try await next(request, context)
    }
}

extension BearerAuthentication {
    /// The token of an `Authorization: Bearer <token>` header; nil for any other scheme.
    static func bearerToken(_ header: String) -> String? {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1]).trimmingCharacters(in: .whitespaces)
    }
}

/// Failed authentications: counted, and logged at notice (a mistyped or revoked token is the caller's problem,
/// not the router's) at most once per interval per reason, with the number since the previous line.
final class AuthFailureLog: Sendable {
    private let metrics: ArcherMetrics
    private let logs: [AuthFailure: FloodLog]

    init(metrics: ArcherMetrics, logger: Logger) {
        self.metrics = metrics
        var logs: [AuthFailure: FloodLog] = [:]
        for reason in AuthFailure.allCases {
            logs[reason] = FloodLog(logger, .notice, "authentication failed: \(reason.explanation)")
        }
        self.logs = logs
    }

    func record(_ reason: AuthFailure, _ request: Request, _ context: ArcherContext) {
        metrics.authFailed(reason)
        logs[reason]?.record([
            "reason": .string(reason.rawValue),
            "method": .string(request.method.rawValue),
            "path": .string(request.uri.path),
            "remote": .string(context.remote),
        ])
    }
}

extension AuthFailure {
    var explanation: String {
        switch self {
        case .missing: "no Authorization header"
        case .notBearer: "the Authorization header is not a bearer token"
        case .unknownToken: "the bearer token belongs to no principal"
        }
    }
}

extension ArcherContext {
    /// The caller; only nil on open endpoints, where it is never asked for.
    func caller() throws -> Principal {
        guard let principal else { throw APIError.unauthenticated("authentication required") }
        return principal
    }

    /// The caller, who must be an admin to do `what`.
    func admin(to what: String) throws -> Principal {
        let principal = try caller()
        guard principal.isAdmin else {
            throw APIError.forbidden("\(principal.name) may not \(what): that needs the admin role (roles: [admin] in the tokens file)")
        }
        return principal
    }
}
