import Foundation
import Hummingbird
import InsightStore
import Routing

/// A stored rule as the API shows it.
struct RuleView: Encodable {
    var id: String
    var priority: Int
    var revision: Int64
    var updatedAt: Int64
    var updatedBy: String
    var rule: RoutingRule
}

/// An audit log entry as `GET /v1/audit` shows it.
struct AuditView: Encodable {
    var id: Int64?
    var at: Int64
    var principal: String
    var action: String
    var target: String
    var before: String?
    var after: String?
    var detail: String?
}

extension Archer {
    /// `GET /v1/rules`: every rule, with revision and who changed it last.
    func listRules(_ context: ArcherContext) async throws -> Response {
        _ = try context.caller()
        let stored = try await storeCall { try $0.routingRules() }
        var views: [RuleView] = []
        for rule in stored {
            guard let decoded = try? SnapshotBuilder.decoder.decode(RoutingRule.self, from: Data(rule.body.utf8)) else {
                logger.warning("stored rule does not decode; left out of the listing and of routing",
                               metadata: ["rule": .string(rule.id)])
                continue
            }
            views.append(RuleView(id: rule.id, priority: rule.priority, revision: rule.revision, updatedAt: rule.updatedAt,
                                  updatedBy: rule.updatedBy, rule: decoded))
        }
        views.sort { ($0.priority, $1.id) > ($1.priority, $0.id) }
        return try JSONBody.response(encoding: ["rules": views])
    }

    /// `PUT /v1/rules/{id}` (admin): creates or replaces a rule. `If-Match: <revision>` makes it conditional.
    func putRule(_ request: Request, _ context: ArcherContext) async throws -> Response {
        let principal = try context.admin(to: "change routing rules")
        let id = try context.parameters.require("id")
        let body = try await readBody(request)
        var rule: RoutingRule
        // A priority JSON can write but an Int cannot hold (1e30) would otherwise be reported as "not valid JSON".
        if let value = try? JSONDecoder().decode(JSONValue.self, from: Data(body)), let priority = value["priority"] {
            guard case .integer(let number) = priority, abs(number) <= RoutingRule.priorityLimit else {
                throw APIError.badRequest("invalid_rule",
                                          "priority must be a whole number from -\(RoutingRule.priorityLimit) to \(RoutingRule.priorityLimit), not \(priority)",
                                          field: "priority")
            }
        }
        do {
            rule = try SnapshotBuilder.decoder.decode(RoutingRule.self, from: Data(body))
        } catch {
            throw APIError.badRequest("invalid_rule", "the body is not a routing rule: \(Self.describe(error))")
        }
        if rule.id.isEmpty { rule.id = id }
        guard rule.id == id else {
            throw APIError.badRequest("invalid_rule", "the body's id \"\(rule.id)\" differs from the path's \"\(id)\"; use the same id", field: "id")
        }
        let problems = RuleValidation.problems(rule, clusters: Set(options.clusters.map(\.name)))
        if !problems.isEmpty {
            throw APIError(.unprocessableContent, "invalid_rule",
                           problems.map { "\($0.field): \($0.message)" }.joined(separator: "; "), field: problems[0].field)
        }
        let expected = try Self.revision(request)
        let text = String(decoding: try SnapshotBuilder.encoder.encode(rule), as: UTF8.self)
        let priority = rule.priority
        let (before, after) = try await storeCall {
            try $0.putRule(id: id, priority: priority, body: text, by: principal.name, at: self.now(),
                           expectedRevision: expected)
        }
        logger.notice("routing rule \(before == nil ? "created" : "updated")",
                      metadata: ["rule": .string(id), "revision": .stringConvertible(after.revision)])
        await refresh()
        return try JSONBody.response(
            encoding: RuleView(id: id, priority: after.priority, revision: after.revision, updatedAt: after.updatedAt,
                               updatedBy: after.updatedBy, rule: rule),
            status: before == nil ? .created : .ok)
    }

    /// `DELETE /v1/rules/{id}` (admin).
    func deleteRule(_ request: Request, _ context: ArcherContext) async throws -> Response {
        let principal = try context.admin(to: "change routing rules")
        let id = try context.parameters.require("id")
        let expected = try Self.revision(request)
        guard try await storeCall({ try $0.deleteRule(id: id, by: principal.name, at: self.now(), expectedRevision: expected) }) != nil else {
            throw APIError.notFound("no routing rule \(id)")
        }
        logger.notice("routing rule deleted", metadata: ["rule": .string(id)])
        await refresh()
        return Response(status: .noContent)
    }

    /// `GET /v1/audit?limit=N&before=ID` (admin): newest first.
    func audit(_ request: Request, _ context: ArcherContext) async throws -> Response {
        _ = try context.admin(to: "read the audit log")
        let query = request.uri.queryParameters
        var limit = 100
        if let text = query.get("limit") {
            guard let value = Int(text), (1...1000).contains(value) else {
                throw APIError.badRequest("invalid_query", "limit must be a whole number from 1 to 1000, not \"\(text)\"", field: "limit")
            }
            limit = value
        }
        var before: Int64?
        if let text = query.get("before") {
            guard let value = Int64(text), value > 0 else {
                throw APIError.badRequest("invalid_query", "before must be an audit entry id (a positive whole number), not \"\(text)\"",
                                          field: "before")
            }
            before = value
        }
        let (count, olderThan) = (limit, before)
        let entries = try await storeCall { try $0.audit(limit: count, before: olderThan) }
        return try JSONBody.response(encoding: ["entries": entries.map {
            AuditView(id: $0.id, at: $0.at, principal: $0.principal, action: $0.action, target: $0.target,
                      before: $0.before, after: $0.after, detail: $0.detail)
        }])
    }

    /// A store call whose failure is the store's, not the caller's: 503, except for a lost revision race (409).
    @discardableResult
    func storeCall<T: Sendable>(_ body: @escaping @Sendable (InsightStore) throws -> T) async throws -> T {
        do {
            return try await storeThread.run(body)
        } catch let conflict as RuleRevisionConflict {
            throw APIError(.conflict, "revision_conflict", conflict.description)
        } catch {
            logger.error("store call failed", metadata: ["error": .string("\(error)")])
            throw APIError.unavailable("the store is unavailable; nothing was changed; retry shortly")
        }
    }

    /// The `If-Match` revision, if given.
    static func revision(_ request: Request) throws -> Int64? {
        guard let text = request.headers[.ifMatch] else { return nil }
        let trimmed = text.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        guard let revision = Int64(trimmed) else {
            throw APIError.badRequest("invalid_revision", "If-Match must be a rule revision number, e.g. If-Match: 3", field: "If-Match")
        }
        return revision
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case let DecodingError.keyNotFound(key, context):
            return "missing \((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))"
        case let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context):
            return "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        case let DecodingError.dataCorrupted(context):
            return context.codingPath.isEmpty ? "not valid JSON" : "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }
}
