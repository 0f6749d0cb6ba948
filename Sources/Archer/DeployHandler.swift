import SafeFiles
import Foundation
import Routing
import Hummingbird
import InsightStore
import Clusters
import NightlyPlan

extension Archer {
    /// `POST /v1/clusters/{name}/queues:deploy` (admin), body `{"force": false}` (optional): validates
    /// `Queues/<name>/queues.yaml`, diffs it against the cluster's `yunikorn-configs`, refuses large tier-1
    /// cuts unless forced, applies it conditionally on the state it judged, and audits the outcome.
    func deploy(_ request: Request, _ context: ArcherContext) async throws -> Response {
        let principal = try context.admin(to: "deploy queue configurations")
        let name = try knownCluster(context)
        let body = try await readBody(request)
        var force = false
        if !body.isEmpty {
            guard let object = try? JSONDecoder().decode(JSONValue.self, from: Data(body)), case .object(let members) = object else {
                throw APIError.badRequest("invalid_deploy", "the body must be a JSON object such as {\"force\": true}, or empty")
            }
            if let unknown = members.first(where: { $0.key != "force" }) {
                throw APIError.badRequest("invalid_deploy", "unknown field \(unknown.key); the only field is force", field: unknown.key)
            }
            switch object["force"] {
            case nil: break
            case .bool(let flag)?: force = flag
            // A string such as "yes" or a number is refused rather than read as false (which would apply).
            case let other?:
                throw APIError.badRequest("invalid_deploy", "force must be true or false, not \(other)", field: "force")
            }
        }
        guard let target = options.targets[name] else {
            throw APIError(.badGateway, "cluster_error", "no target is configured for cluster \(name); restart the router after adding it to clusters.yaml")
        }
        let file = options.queuesDirectory.appendingPathComponent(name).appendingPathComponent("queues.yaml")
        let text = try readPlannedConfiguration(file, cluster: name)
        let policy = options.policy
        let forced = force
        let report: DeployReport
        do {
            report = try await onCluster {
                try QueueDeployment.deploy(cluster: name, file: file.path, newText: text, to: target, policy: policy, force: forced)
            }
        } catch {
            logger.error("deploy failed", metadata: ["cluster": .string(name), "error": .string("\(error)")])
            await audit(AuditEntry(at: now(), principal: principal.name, action: "deploy.failed",
                                   target: "cluster/\(name)", before: nil, after: nil, detail: "\(error)"))
            throw APIError(.badGateway, "cluster_error", "the cluster API failed: \(error)")
        }
        let reportJSON = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        // The report's diff is the before/after of the configuration; unchanged deploys change nothing to audit.
        let action: String? = switch report.outcome {
        case .applied: report.forced ? "deploy.forced" : "deploy"
        case .refused, .invalid: "deploy.\(report.outcome.rawValue)"
        case .unchanged: nil
        }
        if let action {
            await audit(AuditEntry(at: now(), principal: principal.name, action: action, target: "cluster/\(name)",
                                   before: nil, after: report.resourceVersion, detail: reportJSON))
        }
        if report.outcome == .applied {
            logger.notice("queue configuration deployed", metadata: [
                "cluster": .string(name), "resource_version": .string(report.resourceVersion ?? ""), "forced": .stringConvertible(report.forced),
            ])
        }
        let status: HTTPResponse.Status = switch report.outcome {
        case .applied, .unchanged: .ok
        case .refused: .conflict
        case .invalid: .unprocessableContent
        }
        return JSONBody.response(Array(reportJSON.utf8) + [0x0A], status: status)
    }

    /// Reads a cluster's planned configuration holding the plan lock of the queues folder, which `bursar allocate`
    /// holds while it writes there: the files of a plan being written, or of one a crash interrupted (its journal
    /// is still there; the next `bursar allocate` finishes or undoes it), are never deployed.
    private func readPlannedConfiguration(_ file: URL, cluster name: String) throws -> String {
        let folder = options.queuesDirectory.path
        let inProgress = APIError(.conflict, "plan_in_progress", "a queue plan is being written to \(folder), or one was interrupted "
            + "(the next bursar allocate finishes or undoes it); try again when it is done")
        var lock: FolderLock?
        if FileManager.default.fileExists(atPath: folder) {
            lock = FolderLock.tryAcquire(folder)
            guard lock != nil else { throw inProgress }
        }
        defer { withExtendedLifetime(lock) {} }
        if PlanRecovery.hasJournal(in: folder) { throw inProgress }
        do {
            return try String(contentsOf: file, encoding: .utf8)
        } catch {
            throw APIError.notFound("cannot read \(file.path): run the nightly allocation (bursar allocate) for \(name) first")
        }
    }

    /// Audits a deploy. What happened at the cluster has happened whatever the store says, so a failed audit write
    /// is logged (with the entry, so it is not lost) rather than turned into an error answer.
    private func audit(_ entry: AuditEntry) async {
        do {
            try await storeThread.run { try $0.appendAudit([entry]) }
        } catch {
            logger.error("audit entry not written", metadata: [
                "action": .string(entry.action), "target": .string(entry.target), "detail": .string(entry.detail ?? ""),
                "error": .string("\(error)"),
            ])
        }
    }
}
