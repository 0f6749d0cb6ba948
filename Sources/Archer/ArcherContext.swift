import Foundation
public import Hummingbird
public import Router

/// The request context: Hummingbird's core storage plus the caller, once authenticated.
public struct ArcherContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated caller (nil on the open endpoints: health, metrics, validate-conf).
    public var principal: Principal?

    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        principal = nil
    }
}

/// Bearer-token authentication for `/v1/…`: the token is hashed and looked up in the tokens file's book;
/// tokens themselves are never stored. Health, metrics and validate-conf stay open, as YuniKorn's are.
struct BearerAuthentication: RouterMiddleware {
    typealias Context = ArcherContext
    let tokens: TokenBook

    func handle(_ request: Request, context: ArcherContext,
                next: (Request, ArcherContext) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw APIError.unauthenticated("no Authorization header; send Authorization: Bearer <token> (an admin creates tokens with `bursar token new`)")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw APIError.unauthenticated("the Authorization header is not a bearer token; send Authorization: Bearer <token>")
        }
        guard let principal = tokens.principal(bearer: String(parts[1]).trimmingCharacters(in: .whitespaces)) else {
            throw APIError.unauthenticated("the bearer token is not known; check it, or ask an admin for a new one")
        }
        var context = context
        context.principal = principal
        context.logger[metadataKey: "principal"] = .string(principal.name)
        return try await next(request, context)
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
