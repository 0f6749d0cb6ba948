/// One entry of the audit trail: who did what to which thing, with the thing before and after.
public struct AuditEvent: Sendable, Equatable, Codable {
    /// What was done.
    public enum Action: String, Sendable, Codable, CaseIterable {
        case ruleCreate = "rule.create"
        case ruleUpdate = "rule.update"
        case ruleDelete = "rule.delete"
        case deploy
        case submission
    }

    /// When, in milliseconds since the epoch (the caller's clock).
    public var at: Int64
    /// The principal's name.
    public var principal: String
    public var action: Action
    /// What it was done to: a rule id, a cluster, an app id.
    public var target: String
    /// The thing before (nil when created) and after (nil when deleted).
    public var before: JSONValue?
    public var after: JSONValue?
    /// One sentence for people reading the trail (e.g. the routing decision's reason).
    public var detail: String

    /// An event.
    public init(at: Int64, principal: String, action: Action, target: String, before: JSONValue? = nil,
                after: JSONValue? = nil, detail: String = "") {
        self.at = at
        self.principal = principal
        self.action = action
        self.target = target
        self.before = before
        self.after = after
        self.detail = detail
    }

    /// The event for a rule change: created (no `before`), updated, or deleted (no `after`).
    public static func ruleChange(at: Int64, principal: String, before: RoutingRule?, after: RoutingRule?,
                                  detail: String = "") -> AuditEvent {
        let action: Action = before == nil ? .ruleCreate : (after == nil ? .ruleDelete : .ruleUpdate)
        return AuditEvent(at: at, principal: principal, action: action, target: after?.id ?? before?.id ?? "",
                          before: before?.jsonValue, after: after?.jsonValue, detail: detail)
    }
}
